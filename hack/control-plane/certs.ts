import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface KeyPair {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  ca: KeyPair;
  /** Serving certificate for 127.0.0.1 and localhost (the API server and the module's webhooks). */
  serving: KeyPair;
  /** Client certificate of the admin user (CN=admin, O=system:masters). */
  admin: KeyPair;
  /** Key used by the API server to sign and verify service-account tokens. */
  serviceAccountKeyFile: string;
  serviceAccountPubFile: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run("openssl", args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? "";
    throw new Error(`openssl ${args[0]} failed: ${stderr.trim() || String(err)}`);
  }
}

async function load(certFile: string, keyFile: string): Promise<KeyPair> {
  const [certPem, keyPem] = await Promise.all([
    readFile(certFile, "utf8"),
    readFile(keyFile, "utf8"),
  ]);
  return { certFile, keyFile, certPem, keyPem };
}

async function leaf(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  ca: KeyPair,
): Promise<KeyPair> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const crt = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl([
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    subject,
  ]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    // A random serial per certificate: -CAcreateserial shares one serial file between the two
    // certificates issued at once, and one of them then reads it half-written ("short line").
    "-set_serial",
    `0x${serial()}`,
    "-days",
    "7",
    "-sha256",
    "-extfile",
    ext,
    "-out",
    crt,
  ]);
  return load(crt, key);
}

/** 16 random bytes, hex, first bit clear: a positive serial as RFC 5280 asks. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  return bytes.toString("hex");
}

/**
 * A throw-away PKI for one local control plane, made with the openssl CLI: short-lived ECDSA P-256
 * certificates, like envtest's tinyca. Go ignores the CN for host checks, so serving certs carry an
 * IP SAN for 127.0.0.1 besides `localhost`.
 */
export async function createTestPki(dir: string): Promise<TestPki> {
  const caKey = join(dir, "ca.key");
  const caCrt = join(dir, "ca.crt");
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    caKey,
    "-out",
    caCrt,
    "-days",
    "7",
    "-sha256",
    "-subj",
    "/CN=vidra-pepr-test-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  const ca = await load(caCrt, caKey);
  const [serving, admin] = await Promise.all([
    leaf(
      dir,
      "serving",
      "/CN=localhost",
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n",
      ca,
    ),
    leaf(
      dir,
      "admin",
      "/CN=admin/O=system:masters",
      "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
      ca,
    ),
  ]);
  const saKey = join(dir, "sa.key");
  const saPub = join(dir, "sa.pub");
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    saKey,
  ]);
  await openssl(["pkey", "-in", saKey, "-pubout", "-out", saPub]);
  return { ca, serving, admin, serviceAccountKeyFile: saKey, serviceAccountPubFile: saPub };
}
