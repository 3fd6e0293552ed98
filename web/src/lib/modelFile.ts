/** Model files the API accepts (docs/api.md §6). */
export const MODEL_EXTENSIONS = ['stl', '3mf', 'obj'] as const;
export type ModelExtension = (typeof MODEL_EXTENSIONS)[number];

export function modelExtension(name: string): ModelExtension | null {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  return (MODEL_EXTENSIONS as readonly string[]).includes(ext) ? (ext as ModelExtension) : null;
}
