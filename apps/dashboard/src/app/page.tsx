export default function Home() {
  return (
    <main data-testid="dashboard-shell" className="p-6">
      <h1 className="text-xl font-semibold">Band</h1>
    </main>
  );
}
