using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Warmup.Runtime.Hosting;

namespace Vision.Server;

/// <summary>A request the service refuses, with the message the client gets (HTTP 400).</summary>
public sealed class BadImageException(string message) : Exception(message);

/// <summary>One feature channel of ResNet18's pooled output.</summary>
public sealed record Feature(int Channel, float Activation);

/// <summary>What <c>POST /features</c> answers.</summary>
public sealed record FeaturesResponse(string Model, int Width, int Height, string Format, Feature[] Top, float Norm);

/// <summary>
/// The service's inference, in one place: decode (ImageSharp), resize and centre-crop to 224×224, BGR planes minus the
/// channel means (what the package's ResNetPreprocess.onnx does), run ResNet18, and rank its 512 pooled features.
/// The endpoint and the request-path warmup both call <see cref="Describe"/>.
/// </summary>
public sealed class ImageFeatures
{
    /// <summary>Largest accepted body.</summary>
    public const int MaxBytes = 8 << 20;

    /// <summary>Largest accepted picture (width × height), checked from the header before anything is decoded.</summary>
    public const long MaxPixels = 4096L * 4096;

    private const int Side = 224;
    private static readonly float[] ChannelMeans = [103.0626f, 115.9029f, 123.1516f];   // B, G, R; as Vision.ResNet18Samples

    // Only the formats the service documents, and only the first frame of a GIF: no animation bombs, no rare decoders.
    private static readonly Configuration Decoding = CreateConfiguration();

    private readonly WarmedOnnxModel _model;

    public ImageFeatures([FromKeyedServices("resnet18")] WarmedOnnxModel model) => _model = model;

    /// <summary>Decodes <paramref name="image"/>, runs the model and returns the <paramref name="k"/> strongest channels.</summary>
    /// <exception cref="BadImageException">Empty, too large, not an image of a supported format, or corrupt.</exception>
    public FeaturesResponse Describe(ReadOnlySpan<byte> image, int k)
    {
        if (k is < 1 or > 512)
        {
            throw new BadImageException($"k must be between 1 and 512 (ResNet18 has 512 feature channels); got {k}.");
        }

        if (image.IsEmpty)
        {
            throw new BadImageException("The request body is empty: send the bytes of a JPEG, PNG, BMP or GIF image.");
        }

        if (image.Length > MaxBytes)
        {
            throw new BadImageException($"The image is {image.Length} bytes; the service takes at most {MaxBytes} bytes.");
        }

        using var picture = Decode(image, out var format);
        var (width, height) = (picture.Width, picture.Height);
        picture.Mutate(p => p.Resize(new ResizeOptions { Size = new Size(Side, Side), Mode = ResizeMode.Crop }));
        var planes = new float[3 * Side * Side];
        picture.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < Side; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < Side; x++)
                {
                    var offset = (y * Side) + x;
                    planes[offset] = row[x].B - ChannelMeans[0];
                    planes[(Side * Side) + offset] = row[x].G - ChannelMeans[1];
                    planes[(2 * Side * Side) + offset] = row[x].R - ChannelMeans[2];
                }
            }
        });

        var input = new DenseTensor<float>(planes, [1, 3, Side, Side]);
        using var results = _model.Session.Run([NamedOnnxValue.CreateFromTensor("Input247", input)]);
        var features = results[0].AsEnumerable<float>().ToArray();
        var norm = MathF.Sqrt(features.Sum(f => f * f));
        var top = features.Select((activation, channel) => new Feature(channel, activation))
            .OrderByDescending(f => f.Activation).ThenBy(f => f.Channel).Take(k).ToArray();
        return new FeaturesResponse(_model.Name, width, height, format, top, norm);
    }

    /// <summary>
    /// A warmup record's input as a picture the service would be sent: the record's 224×224 BGR planes as a JPEG photo of
    /// 320×240 (so that decoding, resizing and cropping all run as for a camera image).
    /// </summary>
    public static byte[] PictureOf(WarmupRequest record)
    {
        var input = record.Input("Input247");
        var values = input.GetValues<float>();
        var (height, width) = ((int)input.Shape[2], (int)input.Shape[3]);
        using var picture = new Image<Rgb24>(width, height);
        picture.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < width; x++)
                {
                    byte Channel(int c) => (byte)Math.Clamp(values[(c * width * height) + (y * width) + x] + ChannelMeans[c], 0, 255);
                    row[x] = new Rgb24(Channel(2), Channel(1), Channel(0));
                }
            }
        });

        picture.Mutate(p => p.Resize(320, 240));
        using var stream = new MemoryStream();
        picture.SaveAsJpeg(stream);
        return stream.ToArray();
    }

    private static Image<Rgb24> Decode(ReadOnlySpan<byte> image, out string format)
    {
        try
        {
            var info = Image.Identify(Decoding, image.ToArray(), out var detected);
            if (info is null || detected is null)
            {
                throw new BadImageException("The body is not an image the service reads: send JPEG, PNG, BMP or GIF bytes.");
            }

            if ((long)info.Width * info.Height > MaxPixels)
            {
                throw new BadImageException($"The image is {info.Width}×{info.Height} pixels; the service takes at most {MaxPixels} pixels (4096×4096).");
            }

            format = detected.Name;
            return Image.Load<Rgb24>(Decoding, image);
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or NotSupportedException or ImageFormatException)
        {
            throw new BadImageException($"The body is not a readable image ({ex.Message}). Send JPEG, PNG, BMP or GIF bytes.");
        }
    }

    private static Configuration CreateConfiguration()
    {
        var configuration = new Configuration(new JpegConfigurationModule(), new PngConfigurationModule(), new BmpConfigurationModule(),
            new GifConfigurationModule());
        configuration.ImageFormatsManager.SetDecoder(GifFormat.Instance, new GifDecoder { MaxFrames = 1 });
        return configuration;
    }
}
