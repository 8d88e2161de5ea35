import { ErrorMessage } from '../components/error-message.js';
import { useNotices } from '../store/notices-store.js';

/** Failed row actions, each naming what was tried. */
export function Notices() {
  const notices = useNotices((s) => s.notices);
  if (notices.length === 0) return null;
  return (
    <div className="notices">
      {notices.map((notice) => (
        <ErrorMessage
          key={notice.id}
          error={{ ...notice, title: `${notice.action}: ${notice.title}` }}
          onDismiss={() => useNotices.getState().dismiss(notice.id)}
        />
      ))}
    </div>
  );
}
