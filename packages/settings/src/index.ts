// Public face of @band/settings: every export is listed by hand, grouped by topic.
export {};
