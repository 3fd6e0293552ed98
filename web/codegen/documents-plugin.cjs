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
  // config.only: the operations file (e.g. `farm.graphql`) whose operations go in this output;
  // fragments come from every file.
  plugin(_schema, documents, config) {
    const fragments = new Map();
    const ops = [];
    for (const d of documents) {
      for (const def of d.document.definitions) {
        if (def.kind === 'FragmentDefinition') fragments.set(def.name.value, def);
        if (def.kind === 'OperationDefinition' && (!config.only || (d.location ?? '').endsWith(`/${config.only}`))) ops.push(def);
      }
    }
    const names = ops.map((op) => pascal(op.name.value) + pascal(op.operation));
    const out = [
      "import type { TypedDocument } from '../typed';",
      `import type { ${names.flatMap((n) => [n, `${n}Variables`]).sort().join(', ')} } from '../generated';`,
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
