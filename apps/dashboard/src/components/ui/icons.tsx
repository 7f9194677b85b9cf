// Inline SVG icons (no icon font, nothing fetched). Stroke icons at 20 px, currentColor.
import type { SVGProps } from 'react';

function Icon({ d, ...props }: SVGProps<SVGSVGElement> & { d: string }) {
  return (
    <svg
      viewBox="0 0 24 24"
      width="20"
      height="20"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      {...props}
    >
      <path d={d} />
    </svg>
  );
}

type P = SVGProps<SVGSVGElement>;
export const MenuIcon = (p: P) => <Icon d="M4 6h16M4 12h16M4 18h16" {...p} />;
export const CloseIcon = (p: P) => <Icon d="M6 6l12 12M18 6L6 18" {...p} />;
export const BackIcon = (p: P) => <Icon d="M15 18l-6-6 6-6" {...p} />;
export const ChevronRightIcon = (p: P) => <Icon d="M9 18l6-6-6-6" {...p} />;
export const ChevronDownIcon = (p: P) => <Icon d="M6 9l6 6 6-6" {...p} />;
export const PlusIcon = (p: P) => <Icon d="M12 5v14M5 12h14" {...p} />;
export const PhoneIcon = (p: P) => (
  <Icon d="M8 2h8a2 2 0 012 2v16a2 2 0 01-2 2H8a2 2 0 01-2-2V4a2 2 0 012-2zM11 18h2" {...p} />
);
export const SettingsIcon = (p: P) => (
  <Icon
    d={
      'M12 15a3 3 0 100-6 3 3 0 000 6zM19.4 15a1.7 1.7 0 00.3 1.8l.1.1a2 2 0 11-2.8 2.8l-.1-.1' +
      'a1.7 1.7 0 00-1.8-.3 1.7 1.7 0 00-1 1.5V21a2 2 0 11-4 0v-.1' +
      'a1.7 1.7 0 00-1.1-1.5 1.7 1.7 0 00-1.8.3l-.1.1a2 2 0 11-2.8-2.8l.1-.1' +
      'a1.7 1.7 0 00.3-1.8 1.7 1.7 0 00-1.5-1H3a2 2 0 110-4h.1a1.7 1.7 0 001.5-1.1 1.7 1.7 0 00-.3-1.8' +
      'l-.1-.1a2 2 0 112.8-2.8l.1.1a1.7 1.7 0 001.8.3H9a1.7 1.7 0 001-1.5V3a2 2 0 114 0v.1' +
      'a1.7 1.7 0 001 1.5 1.7 1.7 0 001.8-.3l.1-.1a2 2 0 112.8 2.8l-.1.1a1.7 1.7 0 00-.3 1.8V9' +
      'a1.7 1.7 0 001.5 1H21a2 2 0 110 4h-.1a1.7 1.7 0 00-1.5 1z'
    }
    {...p}
  />
);
export const ChatIcon = (p: P) => <Icon d="M21 15a2 2 0 01-2 2H7l-4 4V5a2 2 0 012-2h14a2 2 0 012 2z" {...p} />;
export const DiffIcon = (p: P) => <Icon d="M12 3v12M6 9h12M6 21h12" {...p} />;
export const FilesIcon = (p: P) => <Icon d="M13 2H6a2 2 0 00-2 2v16a2 2 0 002 2h12a2 2 0 002-2V9zM13 2v7h7" {...p} />;
export const TerminalIcon = (p: P) => <Icon d="M4 17l6-6-6-6M12 19h8" {...p} />;
export const CopyIcon = (p: P) => <Icon d="M9 9h11v11H9zM5 15H4V4h11v1" {...p} />;
export const CheckIcon = (p: P) => <Icon d="M20 6L9 17l-5-5" {...p} />;
export const EyeIcon = (p: P) => (
  <Icon d="M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8zM12 15a3 3 0 100-6 3 3 0 000 6z" {...p} />
);
export const SendIcon = (p: P) => <Icon d="M22 2L11 13M22 2l-7 20-4-9-9-4z" {...p} />;
export const StopIcon = (p: P) => <Icon d="M6 6h12v12H6z" {...p} />;
export const TrashIcon = (p: P) => <Icon d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6" {...p} />;
export const BranchIcon = (p: P) => (
  <Icon d="M6 3v12M18 9a3 3 0 100-6 3 3 0 000 6zM6 21a3 3 0 100-6 3 3 0 000 6zM18 9a9 9 0 01-9 9" {...p} />
);
export const FolderIcon = (p: P) => (
  <Icon d="M22 19a2 2 0 01-2 2H4a2 2 0 01-2-2V5a2 2 0 012-2h5l2 3h9a2 2 0 012 2z" {...p} />
);
export const RefreshIcon = (p: P) => (
  <Icon d="M23 4v6h-6M1 20v-6h6M3.5 9a9 9 0 0114.8-3.4L23 10M1 14l4.7 4.4A9 9 0 0020.5 15" {...p} />
);
export const UndoIcon = (p: P) => <Icon d="M3 7v6h6M3 13a9 9 0 103-7.7L3 8" {...p} />;
export const PaperclipIcon = (p: P) => (
  <Icon
    d={
      'M21.44 11.05l-9.19 9.19a6 6 0 0 1-8.49-8.49l9.19-9.19a4 4 0 0 1 5.66 5.66l-9.2 9.19a2 2 0 0 1-2.83-2.83' +
      'l8.49-8.48'
    }
    {...p}
  />
);
