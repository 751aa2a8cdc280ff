using Warmup.Format.Signatures;

namespace Warmup.Format.Tests;

/// <summary>One exception base carries the location of every input error.</summary>
public class WarmupExceptionTests
{
    [Fact]
    public void A_format_error_is_located_by_the_base_and_keeps_its_kind_when_relocated()
    {
        WarmupException error = new WarmupFormatException(WarmupErrorKind.ParseError, "not a PredictionLog.", recordIndex: 3, byteOffset: 40);

        Assert.Equal("record 3 at byte 40: not a PredictionLog.", error.Message);
        var located = ((WarmupFormatException)error).WithLocation("w.tfrecord", null, null);
        Assert.Equal(("w.tfrecord", 3L, 40L, "not a PredictionLog.", WarmupErrorKind.ParseError), (located.FilePath, located.RecordIndex, located.ByteOffset, located.Problem, located.Kind));
        Assert.Equal("w.tfrecord: record 3 at byte 40: not a PredictionLog.", located.Message);
        Assert.Equal("at byte 7: p", WarmupException.Compose(null, null, 7, "p"));
    }

    [Fact]
    public void A_model_whose_signature_cannot_be_read_is_located_at_the_model()
    {
        var path = Path.Combine(Path.GetTempPath(), "warmup-no-such-model-" + Guid.NewGuid().ToString("N") + ".onnx");

        var error = Assert.Throws<ModelSignatureException>(() => ModelSignatureReader.Read(path, "m", path));

        WarmupException located = error;
        Assert.Equal((path, path, (long?)null, ModelSignatureErrorKind.NotFound), (located.FilePath, error.ModelPath, located.RecordIndex, error.Kind));
        Assert.Equal($"{path}: {error.Problem}", located.Message);
    }
}
