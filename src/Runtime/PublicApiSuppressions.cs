using System.Diagnostics.CodeAnalysis;

// Each overload set differs in its first parameters, so no call can bind to two overloads: OnnxWarmup.RunAsync takes one
// session or one per signature, and a path or a stream; WarmedOnnxModel.Run/RunAsync take the input forms
// InferenceSession.Run takes, or a PredictRequest. A new optional parameter is an API change that PublicAPI.Unshipped.txt
// shows in review (RS0026 exists to make that visible).
[assembly: SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Scope = "type",
    Target = "~T:Warmup.Runtime.OnnxWarmup", Justification = "Session/sessions and path/stream overloads.")]
[assembly: SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Scope = "type",
    Target = "~T:Warmup.Runtime.Hosting.WarmedOnnxModel", Justification = "The input forms of InferenceSession.Run, and PredictRequest.")]
