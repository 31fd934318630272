/** `?engine=cpu|webgpu|auto` (REPORT.md: the user can force either engine); anything else means auto. */
import type { EngineRequest } from '../../workers/worker-api.ts';

export function engineFromSearch(search: string): EngineRequest {
  const v = new URLSearchParams(search).get('engine');
  return v === 'cpu' || v === 'webgpu' ? v : 'auto';
}
