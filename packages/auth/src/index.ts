// Public face of @band/auth: every export is listed by hand, grouped by topic.
export {};
