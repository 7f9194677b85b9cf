export function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Tool output as text: strings stay, text blocks are joined, anything else is JSON. */
export function stringifyOutput(content: unknown): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((block) => {
        if (isRecord(block) && block.type === 'text' && typeof block.text === 'string') return block.text;
        if (isRecord(block) && block.type === 'image') return '[image]';
        return typeof block === 'string' ? block : JSON.stringify(block);
      })
      .join('\n');
  }
  return JSON.stringify(content);
}
