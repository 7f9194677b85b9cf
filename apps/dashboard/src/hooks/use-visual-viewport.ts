'use client';
import { useEffect } from 'react';

/**
 * Keeps the app inside the part of the screen the user can see. A phone's on-screen keyboard shrinks the visual
 * viewport but not the layout one on iOS (Android follows `interactive-widget=resizes-content`), so a `100dvh`
 * frame leaves the message box under the keyboard. The frame's height and offset follow `visualViewport` through
 * two CSS variables: `--band-viewport-height` and `--band-viewport-top`.
 */
export function useVisualViewport(): void {
  useEffect(() => {
    const viewport = window.visualViewport;
    if (!viewport) return;
    const root = document.documentElement;
    let frame = 0;
    const apply = () => {
      frame = 0;
      // A pinch zoom shrinks the visual viewport too: then the page keeps its size and the user pans over it.
      if (Math.abs(viewport.scale - 1) > 0.01) {
        root.style.removeProperty('--band-viewport-height');
        root.style.removeProperty('--band-viewport-top');
        return;
      }
      root.style.setProperty('--band-viewport-height', `${Math.round(viewport.height)}px`);
      root.style.setProperty('--band-viewport-top', `${Math.round(viewport.offsetTop)}px`);
    };
    // Once per frame, however many resize and scroll events the keyboard's animation fires.
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(apply);
    };
    apply();
    viewport.addEventListener('resize', schedule);
    viewport.addEventListener('scroll', schedule);
    return () => {
      viewport.removeEventListener('resize', schedule);
      viewport.removeEventListener('scroll', schedule);
      if (frame) cancelAnimationFrame(frame);
      root.style.removeProperty('--band-viewport-height');
      root.style.removeProperty('--band-viewport-top');
    };
  }, []);
}
