import { useEffect, useState } from 'preact/hooks';

export type Role = 'viewer' | 'editor' | 'owner';
export interface Operator {
  id: number;
  email: string;
  name: string;
  role: Role;
  locale: 'en' | 'zh-CN' | null;
  hasPassword: boolean;
}

const RANK: Record<Role, number> = { viewer: 1, editor: 2, owner: 3 };
let current: Operator | undefined;
const listeners = new Set<() => void>();

export function setOperator(operator: Operator | undefined): void {
  current = operator;
  for (const l of listeners) l();
}

export function useOperator(): Operator | undefined {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return current;
}

/** Whether the logged-in operator may do what `needed` may (the server checks it again, always). */
export function can(needed: Role): boolean {
  return current !== undefined && RANK[current.role] >= RANK[needed];
}

/** PUBLIC_URL: the embeddable form and the links readers see are built on it. */
export let publicUrl = location.origin;
export function setPublicUrl(url: string | undefined): void {
  if (url) publicUrl = url;
}
