import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash, type Route } from './app-route.js';

describe('routes in the hash', () => {
  it('round-trips every kind of page', () => {
    const routes: Route[] = [{ page: 'containers' }, { page: 'settings' }, { page: 'container', id: 'web/1 ü', tab: 'logs' }, { page: 'image', id: 'sha256:0a1b' }, { page: 'image', id: '127.0.0.1:5000/team/app:1.0' }];
    for (const route of routes) expect(parseRoute(routeHash(route))).toEqual(route);
  });

  it('opens a container on its overview when the tab is missing or unknown', () => {
    expect(parseRoute('#/containers/abc')).toEqual({ page: 'container', id: 'abc', tab: 'overview' });
    expect(parseRoute('#/containers/abc/nope')).toEqual({ page: 'container', id: 'abc', tab: 'overview' });
  });

  it('falls back to the containers list for anything it does not know', () => {
    for (const hash of ['', '#', '#/', '#/elsewhere', '#/%E0%A4%A']) expect(parseRoute(hash)).toEqual({ page: 'containers' });
    expect(parseRoute('#/containers/%E0%A4%A')).toEqual({ page: 'container', id: '%E0%A4%A', tab: 'overview' });
  });
});
