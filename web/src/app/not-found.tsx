'use client';
import dynamic from 'next/dynamic';

// Served by gantry for any path the app does not have (404). The root not-found is loaded with
// every page, so its content (header, navigation) is a chunk of its own, fetched only when a
// 404 is shown; otherwise every route would carry a second copy of the shell.
const NotFoundPage = dynamic(() => import('@/components/not-found-page').then((m) => m.NotFoundPage));

export default function NotFound() {
  return <NotFoundPage />;
}
