import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// `.openapi()` on every zod schema, the shared ones included; modules that use it import z from here, so this runs first.
extendZodWithOpenApi(z);

export { z };
