// What the node is made of, read from the machine with node:os and /proc, /etc: CPU count,
// memory, kernel, OS image, machine and boot ids. Feeds Node capacity and nodeInfo.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
  cpus: number;
  memoryBytes: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  machineID: string;
  bootID: string;
  hostname: string;
}

const read = (p: string): string => { try { return readFileSync(p, 'utf8').trim(); } catch { return ''; } };

export function osImage(osRelease = read('/etc/os-release')): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease);
  return m?.[1] ?? 'Linux';
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export function machineInfo(): MachineInfo {
  return {
    cpus: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernelVersion: os.release(),
    osImage: osImage(),
    architecture: ARCH[process.arch] ?? process.arch,
    machineID: read('/etc/machine-id'),
    bootID: read('/proc/sys/kernel/random/boot_id'),
    hostname: os.hostname(),
  };
}
