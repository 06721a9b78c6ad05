import { getArgumentValues, getNamedType, isObjectType, Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * The arguments of each selection of `fieldName` on the value this resolver returns (through
 * fragments), coerced exactly as the executor will coerce them when it gets there. Conditional
 * selections (`@skip`, `@include`) and anything that does not coerce are left out: the executor
 * decides those as usual. For starting work a child field will need before its parent is known.
 */
export function subfieldArguments(info: GraphQLResolveInfo, fieldName: string): Array<Record<string, unknown>> {
  const type = getNamedType(info.returnType);
  const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
  if (!field) return [];
  const found: Array<Record<string, unknown>> = [];
  const visit = (selectionSet: SelectionSetNode | undefined) => {
    for (const selection of selectionSet?.selections ?? []) {
      if (selection.directives?.length) continue;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== fieldName) continue;
        try {
          found.push(getArgumentValues(field, selection, info.variableValues));
        } catch {
          // The executor reports it when it resolves the field.
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else {
        const fragment = info.fragments[selection.name.value];
        if (fragment && !fragment.directives?.length) visit(fragment.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return found;
}
