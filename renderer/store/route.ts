/** Where the app is: a section of the sidebar, or one container's page, kept in the URL's hash. */
export const SECTIONS = ['containers', 'images', 'volumes', 'networks', 'settings'] as const;
export type Section = (typeof SECTIONS)[number];

export const CONTAINER_TABS = ['overview', 'logs', 'stats', 'files', 'inspect', 'terminal'] as const;
export type ContainerTab = (typeof CONTAINER_TABS)[number];

export type Route = { page: Section } | { page: 'container'; id: string; tab: ContainerTab };

/** The sidebar section a route belongs to (a container's page is under Containers). */
export function sectionOf(route: Route): Section {
  return route.page === 'container' ? 'containers' : route.page;
}

function isOneOf<T extends string>(choices: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (choices as readonly string[]).includes(value);
}

/** `#/containers`, `#/containers/ID/TAB`, `#/images`...; anything else is the containers list. */
export function parseRoute(hash: string): Route {
  const [section, id, tab] = hash.replace(/^#\/?/, '').split('/').map(decodePart);
  if (section === 'containers' && id) return { page: 'container', id, tab: isOneOf(CONTAINER_TABS, tab) ? tab : 'overview' };
  return { page: isOneOf(SECTIONS, section) ? section : 'containers' };
}

/** A part with a broken escape is taken as it is written. */
function decodePart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

export function routeHash(route: Route): string {
  return route.page === 'container' ? `#/containers/${encodeURIComponent(route.id)}/${route.tab}` : `#/${route.page}`;
}
