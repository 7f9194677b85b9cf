import { HomeOverview } from '@/components/home-overview';

/** Desktop: an overview beside the sidebar. Phone: the shell shows the workspace list instead. */
export default function Home() {
  return <HomeOverview />;
}
