import type { CacheMessage, CachePart, JsonValue } from '@semcache/core';

const roleOfLabel: Readonly<Record<string, CacheMessage['role']>> = {
  System: 'system',
  Human: 'user',
  AI: 'assistant',
  Tool: 'tool',
};

const messageStart = /^(System|Human|AI|Tool): /;

/** A chat prompt turned back into messages. */
export interface ParsedPrompt {
  messages: CacheMessage[];
  /**
   * True when the prompt did not start with a known role label (LangChain's `ChatMessage` with a
   * custom role); the text before the first label became a user message.
   */
  preamble: boolean;
}

/**
 * Turns the prompt string LangChain hands to a cache (`getBufferString` of the messages:
 * `System: …`, `Human: …`, `AI: …`, `Tool: …`, joined by newlines) back into messages.
 *
 * A line starting with a role label and a space starts a new message; every other line continues
 * the message before it, so multi-line messages survive. An `AI:` message that ends in the JSON
 * array LangChain appends for tool calls becomes text plus `tool-call` parts, so the random tool
 * call ids are renumbered by the key derivation. Nothing else is dropped: every character of the
 * prompt is in some message, so different prompts give different messages (except where
 * LangChain's own rendering is ambiguous — a message text holding a line that starts with
 * `Human: ` reads as two messages, exactly as LangChain's own caches read it).
 */
export function parsePrompt(prompt: string): ParsedPrompt {
  const messages: { role: CacheMessage['role']; lines: string[] }[] = [];
  let preamble = false;
  for (const line of prompt.split('\n')) {
    const match = messageStart.exec(line);
    const label = match?.[1];
    const role = label === undefined ? undefined : roleOfLabel[label];
    const current = messages.at(-1);
    if (role !== undefined && label !== undefined) {
      messages.push({ role, lines: [line.slice(label.length + 2)] });
    } else if (current) {
      current.lines.push(line);
    } else {
      preamble = true;
      messages.push({ role: 'user', lines: [line] });
    }
  }
  return {
    messages: messages.map(({ role, lines }) => {
      const text = lines.join('\n');
      return {
        role,
        content: role === 'assistant' ? assistantParts(text) : [{ type: 'text', text }],
      };
    }),
    preamble,
  };
}

/** Splits `text[{"id":…,"name":…,"args":…}]` into its text and its tool calls. */
function assistantParts(text: string): CachePart[] {
  if (!text.endsWith(']')) return [{ type: 'text', text }];
  let from = text.indexOf('[{');
  while (from >= 0) {
    const calls = toolCalls(text.slice(from));
    if (calls) {
      const before = text.slice(0, from);
      return before === '' ? calls : [{ type: 'text', text: before }, ...calls];
    }
    from = text.indexOf('[{', from + 1);
  }
  return [{ type: 'text', text }];
}

function toolCalls(json: string): CachePart[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
  const parts: CachePart[] = [];
  for (const [index, call] of parsed.entries()) {
    if (typeof call !== 'object' || call === null || Array.isArray(call)) return undefined;
    const { id, name, args } = call as Record<string, unknown>;
    if (typeof name !== 'string' || !('args' in call)) return undefined;
    parts.push({
      type: 'tool-call',
      toolCallId: typeof id === 'string' && id !== '' ? id : `missing-id-${index}`,
      toolName: name,
      input: (args ?? null) as JsonValue,
    });
  }
  return parts;
}
