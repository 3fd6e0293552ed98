'use client';
import { useEffect, useRef, useState } from 'react';
import { useT } from '@/lib/i18n';
import { modelExtension } from '@/lib/modelFile';

/**
 * A 3D preview of a model file, parsed in the browser (three.js, loaded on demand so the page's
 * first load stays small). Drag to turn, wheel to zoom.
 */
export function ModelViewer({ file }: { file: File }) {
  const t = useT();
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'ready' | 'failed'>('loading');
  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    (async () => {
      const THREE = await import('three');
      const { OrbitControls } = await import('three/examples/jsm/controls/OrbitControls.js');
      const buf = await file.arrayBuffer();
      const ext = modelExtension(file.name);
      let object: import('three').Object3D;
      const material = new THREE.MeshStandardMaterial({ color: 0x4f8be8, metalness: 0.1, roughness: 0.6 });
      if (ext === 'stl') {
        const { STLLoader } = await import('three/examples/jsm/loaders/STLLoader.js');
        object = new THREE.Mesh(new STLLoader().parse(buf), material);
      } else if (ext === 'obj') {
        const { OBJLoader } = await import('three/examples/jsm/loaders/OBJLoader.js');
        object = new OBJLoader().parse(new TextDecoder().decode(buf));
        object.traverse((o) => {
          if ((o as import('three').Mesh).isMesh) (o as import('three').Mesh).material = material;
        });
      } else {
        const { ThreeMFLoader } = await import('three/examples/jsm/loaders/3MFLoader.js');
        object = new ThreeMFLoader().parse(buf);
      }
      if (disposed || !host.current) return;
      const el = host.current;
      const renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
      renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
      const w = el.clientWidth || 320;
      const h = el.clientHeight || 240;
      renderer.setSize(w, h);
      el.appendChild(renderer.domElement);
      renderer.domElement.setAttribute('role', 'img');
      renderer.domElement.setAttribute('aria-label', t('quote.previewOf', { name: file.name }));
      renderer.domElement.dataset.testid = 'model-canvas';
      const scene = new THREE.Scene();
      scene.background = new THREE.Color(getComputedStyle(el).backgroundColor || '#eef0f4');
      scene.add(new THREE.HemisphereLight(0xffffff, 0x444444, 2.2));
      const light = new THREE.DirectionalLight(0xffffff, 1.5);
      light.position.set(1, 2, 3);
      scene.add(light);
      // Z up (printers' convention), centred on the origin.
      object.rotation.x = -Math.PI / 2;
      const box = new THREE.Box3().setFromObject(object);
      const size = box.getSize(new THREE.Vector3());
      const centre = box.getCenter(new THREE.Vector3());
      object.position.sub(centre);
      scene.add(object);
      const radius = Math.max(size.x, size.y, size.z) || 1;
      const camera = new THREE.PerspectiveCamera(40, w / h, radius / 100, radius * 20);
      camera.position.set(radius * 1.7, radius * 1.3, radius * 2.1);
      const controls = new OrbitControls(camera, renderer.domElement);
      controls.addEventListener('change', () => renderer.render(scene, camera));
      renderer.render(scene, camera);
      setState('ready');
      cleanup = () => {
        controls.dispose();
        renderer.dispose();
        renderer.domElement.remove();
      };
    })().catch(() => {
      if (!disposed) setState('failed');
    });
    return () => {
      disposed = true;
      cleanup();
    };
  }, [file, t]);
  return (
    <div>
      <div ref={host} className="viewer" data-testid="model-viewer" data-state={state} />
      {state === 'failed' && <p className="muted">{t('quote.previewFailed')}</p>}
    </div>
  );
}
