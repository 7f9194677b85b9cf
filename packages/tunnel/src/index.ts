// Public face of @band/tunnel: every export is listed by hand, grouped by topic.
export {};
