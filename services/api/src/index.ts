export { createApp, API_VERSION } from './app.js';
export { createContext, resolveJwtSecret } from './create-context.js';
export type { AppContext } from './context.js';
export { OPENAPI_FILE, toSortedJson } from './openapi-document.js';
