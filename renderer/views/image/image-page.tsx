import type { ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Container } from '../../../shared/containers.js';
import type { Image, ImageStep } from '../../../shared/images.js';
import { client } from '../../api/client.js';
import { Argv, EnvTable, Fields, KeyValues, None, Section, When } from '../../components/details.js';
import { ErrorMessage } from '../../components/error-message.js';
import { DetailPage } from '../../components/detail-page.js';
import { StatePill } from '../../components/state-pill.js';
import { useLoaded } from '../../components/use-loaded.js';
import { formatBytes } from '../../format/bytes.js';
import { familiarName, shortDigest } from '../../format/image-name.js';
import { useContainers } from '../../store/containers-store.js';
import { useImages } from '../../store/images-store.js';
import { routeHash } from '../../../shared/app-route.js';
import { useUi } from '../../store/ui-store.js';
import { ImageActions, imageTitle } from '../image-actions.js';

/** A deep link may name the image by id, id prefix or name (familiar or full), as the CLI takes it. */
function findImage(images: readonly Image[], wanted: string): Image | undefined {
  const hex = wanted.replace(/^sha256:/, '');
  return (
    images.find((image) => image.id === wanted || image.names.some((name) => name === wanted || familiarName(name) === wanted)) ??
    (/^[0-9a-f]{4,64}$/.test(hex) ? images.find((image) => image.id.startsWith(`sha256:${hex}`)) : undefined)
  );
}

/** Every step that made the image, oldest first, as Docker Desktop lists them; config-only steps have no layer. */
function Layers({ image }: { image: Image }) {
  const history = useLoaded(image.id, () => client.call('images.history', { reference: image.id }));
  if (history.phase === 'loading') return <p className="page-empty">Loading…</p>;
  if (history.phase === 'failed') return <ErrorMessage error={history.error} />;
  const { steps } = history.value;
  const unpacked = steps.reduce((sum, step) => sum + step.size, 0);
  return (
    <>
      <table className="kv-table layer-table" aria-label="Layers">
        <thead>
          <tr>
            <th scope="col" className="cell-num">
              #
            </th>
            <th scope="col">Instruction</th>
            <th scope="col" className="cell-num">
              Size
            </th>
            <th scope="col">Layer</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((step, index) => (
            <LayerRow key={index} step={step} index={index} />
          ))}
        </tbody>
      </table>
      <p className="muted layer-total">
        {steps.filter((step) => step.diffId).length} layers, {formatBytes(unpacked)} unpacked
      </p>
    </>
  );
}

function LayerRow({ step, index }: { step: ImageStep; index: number }) {
  return (
    <tr className={step.diffId ? undefined : 'config-step'}>
      <td className="cell-num muted">{index + 1}</td>
      <td>
        <code className="mono instruction" title={step.comment || undefined}>
          {step.createdBy || <None text="(not recorded)" />}
        </code>
      </td>
      <td className="cell-num">{step.diffId ? formatBytes(step.size) : <None text="—" />}</td>
      <td className="mono muted" title={step.diffId || undefined}>
        {step.diffId ? shortDigest(step.diffId) : 'config only'}
      </td>
    </tr>
  );
}

function Users({ containers }: { containers: readonly Container[] }) {
  if (containers.length === 0) return <None text="No container uses it" />;
  return (
    <ul className="image-users">
      {containers.map((container) => (
        <li key={container.id}>
          <a href={routeHash({ page: 'container', id: container.id, tab: 'overview' })}>{container.name}</a> <StatePill state={container.state} />
        </li>
      ))}
    </ul>
  );
}

function ImageDetails({ image, users }: { image: Image; users: readonly Container[] }) {
  const { config } = image;
  const rows: [string, ReactNode][] = [
    ['ID', <span className="mono">{image.id}</span>],
    ['Names', image.names.length > 0 ? <span className="mono">{image.names.map(familiarName).join(', ')}</span> : <None text="None (dangling)" />],
    ['Created', <When iso={image.created} />],
    ['Size', `${formatBytes(image.size)} as downloaded`],
    ['Manifest', <span className="mono">{image.manifestDigest}</span>],
  ];
  return (
    <div className="overview">
      <Section title="Image">
        <Fields rows={rows} />
      </Section>
      <Section title="Used by">
        <Users containers={users} />
      </Section>
      <Section title="Config">
        <Fields
          rows={[
            ['Entrypoint', <Argv argv={config.entrypoint} />],
            ['Command', <Argv argv={config.cmd} />],
            ['Working directory', config.workingDir ? <span className="mono">{config.workingDir}</span> : <None text="/" />],
            ['User', config.user ? <span className="mono">{config.user}</span> : <None text="root" />],
            ['Exposed ports', config.exposedPorts.length > 0 ? <span className="mono">{config.exposedPorts.join(', ')}</span> : <None />],
            ...(config.stopSignal ? ([['Stop signal', <span className="mono">{config.stopSignal}</span>]] as [string, ReactNode][]) : []),
            ...(config.healthcheck?.test.length ? ([['Healthcheck', <Argv argv={config.healthcheck.test} />]] as [string, ReactNode][]) : []),
          ]}
        />
      </Section>
      <Section title="Layers" wide>
        <Layers image={image} />
      </Section>
      <Section title="Environment">
        <EnvTable env={config.env} />
      </Section>
      <Section title="Labels">
        <KeyValues label="Labels" entries={Object.entries(config.labels).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => [key, <span className="mono">{value}</span>])} />
      </Section>
    </div>
  );
}

/** One image's page: what it is, how it was made, what it starts, and who uses it. */
export function ImagePage({ idOrName }: { idOrName: string }) {
  const loaded = useImages((s) => s.loaded);
  const image = useImages((s) => findImage(s.images, idOrName));
  const users = useContainers(useShallow((s) => (image ? s.order.map((id) => s.byId[id]).filter((c): c is Container => c?.imageId === image.id) : [])));
  return (
    <DetailPage
      parent="images"
      kind="image"
      title={image ? imageTitle(image) : idOrName}
      badges={image && <span className="container-id mono">{shortDigest(image.id)}</span>}
      tools={image && <ImageActions image={image} usedBy={users.length} onRemoved={() => useUi.getState().navigate({ page: 'images' })} />}
      found={image !== undefined}
      loaded={loaded}
      className="image-page"
    >
      {image && (
        <div className="page-body">
          <ImageDetails image={image} users={users} />
        </div>
      )}
    </DetailPage>
  );
}
