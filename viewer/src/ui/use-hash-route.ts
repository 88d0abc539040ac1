import { useEffect, useState } from 'preact/hooks';

/** The page from the URL's hash (`#/videos/<id>`), so the API serves one path and links still work. */
export function useHashRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return hash.replace(/^#/, '') || '/';
}
