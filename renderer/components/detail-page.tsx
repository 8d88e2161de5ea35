import type { ReactNode } from 'react';
import { routeHash } from '../../shared/app-route.js';
import { ChevronIcon } from './icons.js';

interface DetailPageProps {
  /** The list it belongs to, for the breadcrumb and the way back. */
  parent: 'containers' | 'images';
  /** What it shows, for the sentence when it is gone: "container", "image". */
  kind: string;
  title: string;
  /** Beside the title: its short id, its state. */
  badges?: ReactNode;
  /** Its actions; undefined while there is nothing to act on. */
  tools?: ReactNode;
  /** Undefined when there is no such thing; `loaded` says whether that is known yet. */
  found: boolean;
  loaded: boolean;
  className: string;
  children: ReactNode;
}

const PARENT_LABELS = { containers: 'Containers', images: 'Images' } as const;

/** One thing's page (a container's, an image's): breadcrumb, title, actions, and its body, or why it is not there. */
export function DetailPage({ parent, kind, title, badges, tools, found, loaded, className, children }: DetailPageProps) {
  const titleId = `${kind}-title`;
  return (
    <section className={`view ${className}`} aria-labelledby={titleId}>
      <header className="view-header page-header">
        <div className="view-title">
          <nav aria-label="Breadcrumb" className="breadcrumb">
            <a href={routeHash({ page: parent })}>{PARENT_LABELS[parent]}</a>
            <ChevronIcon />
          </nav>
          <h1 id={titleId}>{title}</h1>
          {badges}
        </div>
        {tools && <div className="view-tools">{tools}</div>}
      </header>
      {found
        ? children
        : loaded && (
            <p className="page-missing" role="status">
              There is no {kind} “{title}”: it may have been removed. <a href={routeHash({ page: parent })}>Back to the {parent}</a>
            </p>
          )}
    </section>
  );
}
