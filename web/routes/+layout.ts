// A single-page app: Hono serves index.html for every route and the client renders it.
export const ssr = false;
export const prerender = false;
