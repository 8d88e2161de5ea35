import type { DockerRoute } from './docker-call.js';
import { archiveRoutes } from './archive-routes.js';
import { attachRoutes } from './attach-routes.js';
import { buildRoutes } from './build-routes.js';
import { containerRoutes } from './container-routes.js';
import { diskRoutes } from './disk-routes.js';
import { eventRoutes } from './event-routes.js';
import { execRoutes } from './exec-routes.js';
import { imageRoutes } from './image-routes.js';
import { registryRoutes } from './registry-routes.js';
import { networkRoutes } from './network-routes.js';
import { statsRoutes } from './stats-routes.js';
import { systemRoutes } from './system-routes.js';
import { volumeRoutes } from './volume-routes.js';

/** Every route Berth serves of Docker's API, first match wins. */
export function dockerRoutes(): DockerRoute[] {
  return [...systemRoutes(), ...diskRoutes(), ...eventRoutes(), ...containerRoutes(), ...statsRoutes(), ...archiveRoutes(), ...attachRoutes(), ...execRoutes(), ...imageRoutes(), ...registryRoutes(), ...buildRoutes(), ...volumeRoutes(), ...networkRoutes()];
}
