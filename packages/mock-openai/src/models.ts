/** Model ids `GET /v1/models` lists; any model id is accepted by the other endpoints. */
export const mockModelIds: readonly string[] = [
  'gpt-4o-mini',
  'gpt-4o',
  'o3-mini',
  'text-embedding-3-small',
  'text-embedding-3-large',
];

/** The `GET /v1/models` response body. */
export function buildModelList(): Record<string, unknown> {
  return {
    object: 'list',
    data: mockModelIds.map((id) => ({
      id,
      object: 'model',
      created: 1700000000,
      owned_by: 'semcache-mock',
    })),
  };
}
