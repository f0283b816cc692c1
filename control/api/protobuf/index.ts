// Decoding of application/vnd.kubernetes.protobuf bodies (the runtime.Unknown envelope with
// the "k8s\0" magic), which kubectl's typed clients send (create configmap, drain, auth can-i).
// (Placeholder until the message definitions land: refuses with 415.)
import { unsupportedMediaType } from '../status.js';

export function decodeProtobuf(_body: Buffer, contentType: string): unknown {
  throw unsupportedMediaType(contentType);
}
