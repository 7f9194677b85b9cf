// Public face of @band/api: every export is listed by hand, grouped by topic.
export {};
