// Public face of @band/store: every export is listed by hand, grouped by topic.
export {};
