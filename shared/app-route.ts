/** Where the app is: a section of the sidebar, or one container's or image's page, kept in the URL's hash (the desktop's notifications link to pages by it too). */
export const SECTIONS = ['containers', 'images', 'volumes', 'networks', 'disk', 'settings'] as const;
export type Section = (typeof SECTIONS)[number];

export const CONTAINER_TABS = ['overview', 'logs', 'stats', 'files', 'inspect', 'terminal'] as const;
export type ContainerTab = (typeof CONTAINER_TABS)[number];

export type Route = { page: Section } | { page: 'container'; id: string; tab: ContainerTab } | { page: 'image'; id: string };

/** The sidebar section a route belongs to (a container's page is under Containers, an image's under Images). */
export function sectionOf(route: Route): Section {
  if (route.page === 'container') return 'containers';
  if (route.page === 'image') return 'images';
  return route.page;
}

function isOneOf<T extends string>(choices: readonly T[], value: string | undefined): value is T {
  return value !== undefined && (choices as readonly string[]).includes(value);
}

/** `#/containers`, `#/containers/ID/TAB`, `#/images`, `#/images/ID`...; anything else is the containers list. */
export function parseRoute(hash: string): Route {
  const [section, id, tab] = hash.replace(/^#\/?/, '').split('/').map(decodePart);
  if (section === 'containers' && id) return { page: 'container', id, tab: isOneOf(CONTAINER_TABS, tab) ? tab : 'overview' };
  if (section === 'images' && id) return { page: 'image', id };
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
  if (route.page === 'container') return `#/containers/${encodeURIComponent(route.id)}/${route.tab}`;
  if (route.page === 'image') return `#/images/${encodeURIComponent(route.id)}`;
  return `#/${route.page}`;
}
