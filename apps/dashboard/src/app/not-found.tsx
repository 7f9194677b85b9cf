import { AppLink } from '@/components/ui/app-link';

export default function NotFound() {
  return (
    <div className="flex flex-1 flex-col items-center justify-center gap-3 p-8 text-center" data-testid="not-found">
      <p className="font-mono text-sm text-fg-subtle">404</p>
      <h1 className="text-xl font-semibold">Nothing here</h1>
      <AppLink
        href="/"
        className={
          'inline-flex min-h-touch items-center rounded-md px-4 text-sm font-medium text-accent ' +
          'hover:bg-bg-hover md:min-h-9'
        }
      >
        Back to workspaces
      </AppLink>
    </div>
  );
}
