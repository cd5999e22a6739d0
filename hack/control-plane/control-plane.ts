import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlPlaneBinaries, type ControlPlaneBinaries } from "./binaries";
import { createTestPki, type TestPki } from "./certs";
import { httpsGet, waitFor } from "./https-probe";
import { freePort } from "./ports";
import { ManagedProcess, reapOrphans } from "./processes";
import {
  addFakeNodes,
  startKwok,
  startScheduler,
  WORKLOAD_CONTROLLERS,
  type WorkloadOptions,
} from "./workloads";

export interface ControlPlaneOptions {
  /** Also run kube-controller-manager (namespace and garbage-collector controllers). Default true. */
  controllerManager?: boolean;
  /** A name that shows up in the kubeconfig context and temp dir. */
  name?: string;
  /** Where to keep data, certificates and logs; default a fresh temp dir removed on stop(). */
  baseDir?: string;
  /** Keep the base dir after stop (for debugging). */
  keepDir?: boolean;
  startTimeoutMs?: number;
  /**
   * Writes the API server's audit log (JSON lines, `auditLogPath`) with this policy
   * (audit.k8s.io/v1 Policy): tests read who wrote what, and when, from the server's side.
   */
  auditPolicy?: Record<string, unknown>;
  /**
   * Run pods: kube-scheduler, the workload controllers (Deployments, StatefulSets, DaemonSets, Jobs)
   * and KWOK with fake nodes, so pods are scheduled and reported Running and Ready. Off by default:
   * most tests never create a pod, and the three extra processes cost start time and memory
   * (README, "A real local control plane").
   */
  workloads?: boolean | WorkloadOptions;
}

export interface ControlPlaneInfo {
  name: string;
  server: string;
  kubeconfigPath: string;
  baseDir: string;
  caPem: string;
  /** Names of the fake nodes, when the cluster runs workloads. */
  nodes?: string[];
  /** Admin client credentials (system:masters). */
  clientCertPem: string;
  clientKeyPem: string;
  /** Serving key pair for 127.0.0.1/localhost signed by the cluster CA: webhooks served by tests use it. */
  servingCertPem: string;
  servingKeyPem: string;
  /** The audit log, when the control plane was started with an audit policy. */
  auditLogPath?: string;
}

/**
 * A real kube-apiserver + etcd (+ kube-controller-manager) on free loopback ports, like envtest.
 * Several can run at once: each has its own ports, PKI and data directory.
 */
export class LocalControlPlane {
  private readonly procs: ManagedProcess[] = [];
  private info: ControlPlaneInfo | undefined;
  private ownsDir = false;
  private baseDir: string | undefined;
  private stopped = false;
  /** How the API server was started, to start it again on the same port (outage tests). */
  private apiServer:
    | { proc: ManagedProcess; start: () => ManagedProcess; readyz: () => Promise<boolean> }
    | undefined;
  private startTimeoutMs = 90_000;

  private constructor(private readonly opts: ControlPlaneOptions) {}

  static async start(opts: ControlPlaneOptions = {}): Promise<LocalControlPlane> {
    reapOrphans();
    const cp = new LocalControlPlane(opts);
    try {
      await cp.boot();
    } catch (err) {
      await cp.stop();
      throw err;
    }
    return cp;
  }

  get kubeconfigPath(): string {
    return this.details.kubeconfigPath;
  }

  get server(): string {
    return this.details.server;
  }

  get details(): ControlPlaneInfo {
    if (!this.info) throw new Error("control plane is not running");
    return this.info;
  }

  private async boot(): Promise<void> {
    const name = this.opts.name ?? "vidra-pepr";
    const workloads = this.opts.workloads
      ? this.opts.workloads === true
        ? {}
        : this.opts.workloads
      : undefined;
    const bins = controlPlaneBinaries({ workloads: !!workloads });
    const baseDir = this.opts.baseDir ?? (await mkdtemp(join(tmpdir(), `${name}-cp-`)));
    this.baseDir = baseDir;
    this.ownsDir = !this.opts.baseDir && !this.opts.keepDir;
    const pki = await createTestPki(baseDir);
    const timeoutMs = (this.startTimeoutMs = this.opts.startTimeoutMs ?? 90_000);

    const etcdPort = await this.startEtcd(bins, baseDir, timeoutMs);
    const auditLogPath = this.opts.auditPolicy ? join(baseDir, "audit.log") : undefined;
    const apiPort = await this.bootApiServer(bins, baseDir, pki, etcdPort, timeoutMs, auditLogPath);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigPath = join(baseDir, "kubeconfig");
    await writeFile(kubeconfigPath, renderKubeconfig(name, server, pki), { mode: 0o600 });
    this.info = {
      name,
      server,
      kubeconfigPath,
      baseDir,
      nodes: [],
      caPem: pki.ca.certPem,
      clientCertPem: pki.admin.certPem,
      clientKeyPem: pki.admin.keyPem,
      servingCertPem: pki.serving.certPem,
      servingKeyPem: pki.serving.keyPem,
      auditLogPath,
    };
    if ((this.opts.controllerManager ?? true) || workloads)
      this.startControllerManager(bins, baseDir, kubeconfigPath, !!workloads);
    if (workloads) {
      this.procs.push(startScheduler(bins, baseDir, kubeconfigPath));
      this.procs.push(startKwok(bins, baseDir, kubeconfigPath));
      this.info.nodes = await addFakeNodes(
        server,
        { ca: pki.ca.certPem, cert: pki.admin.certPem, key: pki.admin.keyPem },
        workloads.nodes ?? 1,
        { timeoutMs, describe: () => this.logs() },
      );
    }
  }

  private async startEtcd(
    bins: ControlPlaneBinaries,
    baseDir: string,
    timeoutMs: number,
  ): Promise<number> {
    const clientPort = await freePort();
    const peerPort = await freePort();
    const etcd = ManagedProcess.start({
      name: "etcd",
      command: bins.etcd,
      logFile: join(baseDir, "etcd.log"),
      args: [
        `--name=default`,
        `--data-dir=${join(baseDir, "etcd-data")}`,
        `--listen-client-urls=http://127.0.0.1:${clientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
        // Test data is thrown away: skipping fsync makes etcd far faster on shared disks.
        `--unsafe-no-fsync=true`,
        `--log-level=warn`,
      ],
    });
    this.procs.push(etcd);
    await waitFor(
      async () => {
        if (!etcd.running) throw new Error("etcd exited");
        const res = await fetch(`http://127.0.0.1:${clientPort}/health`);
        return res.ok;
      },
      {
        timeoutMs,
        describe: async () =>
          `etcd did not become healthy (${etcd.describeExit()}):\n${await etcd.logTail()}`,
      },
    );
    return clientPort;
  }

  private async bootApiServer(
    bins: ControlPlaneBinaries,
    baseDir: string,
    pki: TestPki,
    etcdPort: number,
    timeoutMs: number,
    auditLogPath: string | undefined,
  ): Promise<number> {
    const port = await freePort();
    const audit: string[] = [];
    if (auditLogPath && this.opts.auditPolicy) {
      const policyFile = join(baseDir, "audit-policy.json");
      await writeFile(policyFile, JSON.stringify(this.opts.auditPolicy));
      audit.push(
        `--audit-policy-file=${policyFile}`,
        `--audit-log-path=${auditLogPath}`,
        `--audit-log-format=json`,
        `--audit-log-maxbackup=0`,
      );
    }
    const start = () =>
      ManagedProcess.start({
        name: "kube-apiserver",
        command: bins.kubeApiserver,
        logFile: join(baseDir, "kube-apiserver.log"),
        args: [
          `--etcd-servers=http://127.0.0.1:${etcdPort}`,
          `--bind-address=127.0.0.1`,
          `--advertise-address=127.0.0.1`,
          `--secure-port=${port}`,
          `--tls-cert-file=${pki.serving.certFile}`,
          `--tls-private-key-file=${pki.serving.keyFile}`,
          `--client-ca-file=${pki.ca.certFile}`,
          `--authorization-mode=RBAC`,
          `--service-cluster-ip-range=10.96.0.0/16`,
          `--service-account-issuer=https://127.0.0.1:${port}`,
          `--service-account-key-file=${pki.serviceAccountPubFile}`,
          `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
          // No kubelet runs here (KWOK, when on, only reports pod status): service account tokens
          // would never be mounted, so the plugin only gets in the way.
          `--disable-admission-plugins=ServiceAccount`,
          `--allow-privileged=true`,
          `--endpoint-reconciler-type=none`,
          `--profiling=false`,
          `--cert-dir=${join(baseDir, "apiserver-certs")}`,
          ...audit,
        ],
      });
    const readyz = async () => {
      const res = await httpsGet(`https://127.0.0.1:${port}/readyz`, {
        ca: pki.ca.certPem,
        cert: pki.admin.certPem,
        key: pki.admin.keyPem,
      });
      return res.status === 200;
    };
    const api = start();
    this.procs.push(api);
    this.apiServer = { proc: api, start, readyz };
    await this.waitForApiServer(api, timeoutMs);
    return port;
  }

  private async waitForApiServer(api: ManagedProcess, timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        if (!api.running) throw new Error("kube-apiserver exited");
        return this.apiServer!.readyz();
      },
      {
        timeoutMs,
        intervalMs: 300,
        describe: async () =>
          `kube-apiserver did not become ready (${api.describeExit()}):\n${await api.logTail()}`,
      },
    );
  }

  /**
   * Stops only the API server (etcd and the controller manager keep running), as in a control-plane
   * outage; `startApiServer` brings it back on the same port with the same data.
   */
  async stopApiServer(): Promise<void> {
    if (!this.apiServer) throw new Error("control plane is not running");
    await this.apiServer.proc.stop();
  }

  /** Starts the API server stopped by `stopApiServer` again and waits until it is ready. */
  async startApiServer(): Promise<void> {
    const a = this.apiServer;
    if (!a) throw new Error("control plane is not running");
    if (a.proc.running) return;
    const proc = a.start();
    this.procs[this.procs.indexOf(a.proc)] = proc;
    a.proc = proc;
    await this.waitForApiServer(proc, this.startTimeoutMs);
  }

  private startControllerManager(
    bins: ControlPlaneBinaries,
    baseDir: string,
    kubeconfigPath: string,
    workloads: boolean,
  ): void {
    const controllers = [
      "namespace-controller",
      "garbage-collector-controller",
      "serviceaccount-controller",
      ...(workloads ? WORKLOAD_CONTROLLERS : []),
    ];
    this.procs.push(
      ManagedProcess.start({
        name: "kube-controller-manager",
        command: bins.kubeControllerManager,
        logFile: join(baseDir, "kube-controller-manager.log"),
        args: [
          `--kubeconfig=${kubeconfigPath}`,
          `--authentication-kubeconfig=${kubeconfigPath}`,
          `--authorization-kubeconfig=${kubeconfigPath}`,
          `--leader-elect=false`,
          `--controllers=${controllers.join(",")}`,
          `--bind-address=127.0.0.1`,
          `--secure-port=0`,
          `--use-service-account-credentials=false`,
        ],
      }),
    );
  }

  /** The running components, for measurements. */
  processes(): Array<{ name: string; pid: number | undefined }> {
    return this.procs.filter(p => p.running).map(p => ({ name: p.name, pid: p.pid }));
  }

  /** Log tails of every component, for failure messages. */
  async logs(lines = 20): Promise<string> {
    const parts = await Promise.all(
      this.procs.map(async p => `--- ${p.name} (${p.describeExit()})\n${await p.logTail(lines)}`),
    );
    return parts.join("\n");
  }

  /** Stops every process (the last started first, etcd last) and removes the temp dir. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of [...this.procs].reverse()) await p.stop();
    if (this.ownsDir && this.baseDir) await rm(this.baseDir, { recursive: true, force: true });
  }
}

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

export function renderKubeconfig(name: string, server: string, pki: TestPki): string {
  return JSON.stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name, cluster: { server, "certificate-authority-data": b64(pki.ca.certPem) } }],
      users: [
        {
          name: `${name}-admin`,
          user: {
            "client-certificate-data": b64(pki.admin.certPem),
            "client-key-data": b64(pki.admin.keyPem),
          },
        },
      ],
      contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
      "current-context": name,
    },
    null,
    2,
  );
}
