import type { AnswerJudge } from '@semcache/core';
import { judgePrompt, readJudgeVerdict } from '@semcache/core/internal';
import { generateText, type LanguageModel } from 'ai';

/**
 * An LLM judge for verified caching (`createSemanticCache({ verify: { judge } })`): asks `model` —
 * a small, cheap one — whether the cached answer would have served the request as well as the
 * fresh one, with a fixed yes/no prompt at temperature 0. Each check is one call of `model`.
 *
 * ```ts
 * verify: { judge: aiSdkJudge(holysheep('gpt-4.1-nano')) }
 * ```
 */
export function aiSdkJudge(model: LanguageModel): AnswerJudge {
  return async ({ cached, fresh, request }) => {
    const { text } = await generateText({
      model,
      prompt: judgePrompt({ request, cached, fresh }),
      temperature: 0,
      maxOutputTokens: 3,
    });
    return readJudgeVerdict(text);
  };
}
