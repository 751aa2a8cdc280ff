// Extracts an embedded resource from an assembly without loading it (System.Reflection.Metadata reads the PE file).
// Run by TextEmbeddings.Model.csproj as a .NET file-based app: dotnet run --file extract-model.cs -- <dll> <resource> <out>
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: extract-model <assembly> <resource name> <output file>");
    return 2;
}

var (assemblyPath, resourceName, outputPath) = (args[0], args[1], args[2]);
using var stream = File.OpenRead(assemblyPath);
using var pe = new PEReader(stream);
var metadata = pe.GetMetadataReader();
foreach (var handle in metadata.ManifestResources)
{
    var resource = metadata.GetManifestResource(handle);
    if (metadata.GetString(resource.Name) != resourceName)
    {
        continue;
    }

    var section = pe.GetSectionData(pe.PEHeaders.CorHeader!.ResourcesDirectory.RelativeVirtualAddress);
    var reader = section.GetReader((int)resource.Offset, section.Length - (int)resource.Offset);
    var bytes = reader.ReadBytes(reader.ReadInt32());
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
    var temp = outputPath + ".tmp";
    File.WriteAllBytes(temp, bytes);
    File.Move(temp, outputPath, overwrite: true);
    Console.WriteLine($"extracted {resourceName} ({bytes.Length} bytes) to {outputPath}");
    return 0;
}

Console.Error.WriteLine($"error: {assemblyPath}: no embedded resource named {resourceName}.");
return 1;
