/** The protobuf wire writer the generated encoders take, for callers that reuse one across encodes. */
export { BinaryWriter } from '@bufbuild/protobuf/wire';
