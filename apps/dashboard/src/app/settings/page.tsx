import { SettingsForm } from '@/components/settings-form';

export const metadata = { title: 'Settings · Band' };

export default function SettingsPage() {
  return <SettingsForm />;
}
