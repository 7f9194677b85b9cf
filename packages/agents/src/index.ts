// Public face of @band/agents: every export is listed by hand, grouped by topic.
export {};
