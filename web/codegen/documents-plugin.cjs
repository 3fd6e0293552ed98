/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS codegen plugin */
// graphql-codegen plugin: one `XxxDocument` string constant per operation, typed with its
// result and variables (`TypedDocument<Result, Variables>`), fragments appended.
const { print, stripIgnoredCharacters, visit } = require('graphql');

function fragmentsUsed(node, all, seen = new Set()) {
  visit(node, {
    FragmentSpread(s) {
      const name = s.name.value;
      if (!seen.has(name) && all.has(name)) {
        seen.add(name);
        fragmentsUsed(all.get(name), all, seen);
      }
    },
  });
  return seen;
}

const pascal = (s) => s.charAt(0).toUpperCase() + s.slice(1);

module.exports = {
  plugin(_schema, documents) {
    const fragments = new Map();
    const ops = [];
    for (const d of documents) {
      for (const def of d.document.definitions) {
        if (def.kind === 'FragmentDefinition') fragments.set(def.name.value, def);
        if (def.kind === 'OperationDefinition') ops.push(def);
      }
    }
    const out = [
      '',
      '/** A GraphQL document string carrying its result and variables types. */',
      'export type TypedDocument<TResult, TVariables> = string & { readonly __result?: TResult; readonly __variables?: TVariables };',
      '',
    ];
    for (const op of ops.sort((a, b) => a.name.value.localeCompare(b.name.value))) {
      const name = pascal(op.name.value);
      const suffix = pascal(op.operation);
      const parts = [print(op), ...[...fragmentsUsed(op, fragments)].sort().map((f) => print(fragments.get(f)))];
      out.push(
        `export const ${name}Document = ${JSON.stringify(stripIgnoredCharacters(parts.join('\n')))} as TypedDocument<${name}${suffix}, ${name}${suffix}Variables>;`,
      );
    }
    return out.join('\n') + '\n';
  },
};
