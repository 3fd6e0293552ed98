/** A GraphQL document string carrying its result and variables types (see codegen/documents-plugin.cjs). */
export type TypedDocument<TResult, TVariables> = string & { readonly __result?: TResult; readonly __variables?: TVariables };
