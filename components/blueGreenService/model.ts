/**
 * The published models of what BlueGreenService creates (kubernetes-models, @kubernetes-models/argo-rollouts and
 * @kubernetes-models/istio) as Pulumi inputs: the builders' return types. Type-only: the model packages are
 * development dependencies, so no declaration a consumer reads (the class's, the args', the validator's) may name
 * these types; only the builders' do, and components/index.ts does not export them.
 */
import type * as pulumi from "@pulumi/pulumi";

/** Model `T` with every value allowed to be a Pulumi Input (an image digest or a namespace known only at deploy). */
export type Inputs<T> = T extends string | number | boolean
    ? pulumi.Input<T>
    : T extends readonly (infer U)[]
      ? Inputs<U>[]
      : T extends object
        ? { [K in keyof T]: Inputs<T[K]> }
        : T;

/**
 * A Kubernetes object of model `M` as a CustomResource's inputs: its apiVersion and kind are plain strings (the
 * resource type is known when it is declared), its status is the cluster's and never declared.
 */
export type Manifest<M extends { apiVersion: string; kind: string }> = Pick<M, "apiVersion" | "kind"> &
    Inputs<Omit<M, "apiVersion" | "kind" | "status">>;
