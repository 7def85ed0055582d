/**
 * Writes a custom resource's status the same way for every kind: conditions merged with
 * setCondition (transition times kept), observedGeneration set, and no write at all when nothing
 * changed (so a resync of a settled object costs one GET).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Kube } from '../manager/kube-client.ts';
import { patchStatus } from '../manager/kube-client.ts';
import { type ConditionInput, setCondition } from './conditions.ts';
import type { Condition, CustomResource, KindInfo } from './resources.ts';

export async function writeStatus<S extends { conditions?: Condition[]; observedGeneration?: number }>(
  kube: Kube,
  kind: KindInfo,
  object: CustomResource<unknown, S>,
  fields: Omit<S, 'conditions' | 'observedGeneration'>,
  inputs: ConditionInput[],
  now: Date = new Date(),
): Promise<{ changed: boolean; conditions: Condition[] }> {
  const generation = object.metadata.generation ?? 0;
  const previous = (object.status ?? {}) as S;
  let conditions = previous.conditions ?? [];
  for (const input of inputs) conditions = setCondition(conditions, input, generation, now);
  const next = { ...previous, ...fields, observedGeneration: generation, conditions };
  if (isDeepStrictEqual(next, previous)) return { changed: false, conditions };
  await patchStatus(kube, kind, object.metadata.namespace, object.metadata.name, next);
  return { changed: true, conditions };
}
