/**
 * Trivy JSON reports (`trivy image --format json`, SchemaVersion 2) as tests write them: the fields Trivy's
 * published format gives a report, its results and its vulnerabilities, with the findings a test asks for.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface TestFinding {
    id: string;
    severity: "UNKNOWN" | "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
    pkg?: string;
    installed?: string;
    /** Empty or absent: no fix available (Trivy then leaves FixedVersion out and sets Status "affected"). */
    fixed?: string;
}

/** A Trivy report of `image` scanned at `createdAt`, one OS result holding the findings. */
export function trivyReport(image: string, digest: string, createdAt: Date, findings: TestFinding[] = []): object {
    const repo = image.replace(/@.*$/, "");
    return {
        SchemaVersion: 2,
        CreatedAt: createdAt.toISOString(),
        ArtifactName: `${repo}@${digest}`,
        ArtifactType: "container_image",
        Metadata: {
            OS: { Family: "debian", Name: "12.5" },
            ImageID: `sha256:${"0".repeat(64)}`,
            DiffIDs: [],
            RepoTags: [],
            RepoDigests: [`${repo}@${digest}`],
            ImageConfig: { architecture: "amd64", os: "linux" },
        },
        Results: [
            {
                Target: `${repo}@${digest} (debian 12.5)`,
                Class: "os-pkgs",
                Type: "debian",
                ...(findings.length > 0
                    ? {
                          Vulnerabilities: findings.map((f) => ({
                              VulnerabilityID: f.id,
                              PkgID: `${f.pkg ?? "openssl"}@${f.installed ?? "3.0.11-1"}`,
                              PkgName: f.pkg ?? "openssl",
                              InstalledVersion: f.installed ?? "3.0.11-1",
                              ...(f.fixed ? { FixedVersion: f.fixed } : {}),
                              Status: f.fixed ? "fixed" : "affected",
                              Layer: { DiffID: `sha256:${"1".repeat(64)}` },
                              SeveritySource: "nvd",
                              PrimaryURL: `https://avd.aquasec.com/nvd/${f.id.toLowerCase()}`,
                              Title: `${f.pkg ?? "openssl"}: test finding ${f.id}`,
                              Description: "A finding written by the test.",
                              Severity: f.severity,
                              CweIDs: ["CWE-787"],
                              References: [],
                          })),
                      }
                    : {}),
            },
            // A language result without findings: Trivy omits Vulnerabilities when there are none.
            { Target: "app/package-lock.json", Class: "lang-pkgs", Type: "npm" },
        ],
    };
}

/** Writes a report to `dir/name` and returns its path. */
export function writeReport(dir: string, name: string, report: object): string {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(report, null, 2));
    return file;
}
