import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { AnswerJudge } from '@semcache/core';
import { judgePrompt, readJudgeVerdict } from '@semcache/core/internal';

/**
 * An LLM judge for verified caching (`createSemanticCache({ verify: { judge } })`): asks a LangChain
 * chat model — a small, cheap one — whether the cached answer would have served the request as
 * well as the fresh one, with a fixed yes/no prompt. Each check is one call of `model`.
 *
 * ```ts
 * verify: { judge: langchainJudge(new ChatOpenAI({ model: 'gpt-4.1-nano', temperature: 0 })) }
 * ```
 */
export function langchainJudge(model: Pick<BaseChatModel, 'invoke'>): AnswerJudge {
  return async ({ cached, fresh, request }) => {
    const reply = await model.invoke(judgePrompt({ request, cached, fresh }));
    return readJudgeVerdict(typeof reply.content === 'string' ? reply.content : reply.text);
  };
}
