import type { Container } from '../../shared/containers.js';

/** Labels compose puts on every container of a stack. */
export const COMPOSE_PROJECT = 'com.docker.compose.project';
export const COMPOSE_SERVICE = 'com.docker.compose.service';
const COMPOSE_NUMBER = 'com.docker.compose.container-number';

/** The containers of one compose stack, in the list's order. */
export interface Stack {
  project: string;
  ids: string[];
}

/** The list's rows: a container alone, or a stack where its first container stands, holding all of its containers. */
export function groupStacks(order: readonly string[], projectOf: (id: string) => string | undefined): (string | Stack)[] {
  const stacks = new Map<string, Stack>();
  const rows: (string | Stack)[] = [];
  for (const id of order) {
    const project = projectOf(id);
    if (!project) {
      rows.push(id);
      continue;
    }
    const stack = stacks.get(project);
    if (stack) stack.ids.push(id);
    else {
      const made = { project, ids: [id] };
      stacks.set(project, made);
      rows.push(made);
    }
  }
  return rows;
}

/** What compose prints before each of a container's log lines: its service and number, as `web-1`. */
export function serviceTag(container: Container): string {
  const service = container.spec.labels[COMPOSE_SERVICE];
  if (!service) return container.name;
  const number = container.spec.labels[COMPOSE_NUMBER];
  return number ? `${service}-${number}` : service;
}
