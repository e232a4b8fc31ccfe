using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace EventSourcing.Core.Tests.Architecture;

/// <summary>One use of a type by another, both defined in the assembly read: full names (nested types as Outer/Inner).</summary>
internal readonly record struct TypeDependency(string From, string FromNamespace, string To, string ToNamespace);

/// <summary>
/// Reads which types of an assembly use which other types of the same assembly, from its metadata:
/// base types, interfaces, generic constraints, attributes, field/method/property/event signatures,
/// and every type, field, method and signature token in the method bodies' IL (locals included).
/// Compiled code is read, so a fully-qualified name, a lambda or an async method hides nothing.
/// A nested type (closures, state machines, nested classes) counts as its outermost declaring type.
/// </summary>
internal static class TypeDependencies
{
    private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .DistinctBy(o => o.Value)
        .ToDictionary(o => o.Value, o => o.OperandType);

    public static IReadOnlyList<TypeDependency> Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var edges = new HashSet<TypeDependency>();
        foreach (var handle in md.TypeDefinitions)
        {
            var found = new HashSet<TypeDefinitionHandle>();
            Collect(md, pe, handle, found);
            var from = Outermost(md, handle);
            foreach (var target in found)
            {
                var to = Outermost(md, target);
                if (to != from)
                {
                    edges.Add(new TypeDependency(FullName(md, from), Namespace(md, from), FullName(md, to), Namespace(md, to)));
                }
            }
        }

        return [.. edges];
    }

    /// <summary>Full names and namespaces of the assembly's top-level types.</summary>
    public static IReadOnlyList<(string Name, string Namespace)> TopLevelTypes(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        return [.. md.TypeDefinitions
            .Where(h => md.GetTypeDefinition(h).GetDeclaringType().IsNil)
            .Select(h => (FullName(md, h), Namespace(md, h)))];
    }

    private static void Collect(MetadataReader md, PEReader pe, TypeDefinitionHandle handle, HashSet<TypeDefinitionHandle> found)
    {
        var types = new SignatureCollector(found);
        var type = md.GetTypeDefinition(handle);
        AddType(md, type.BaseType, types);
        foreach (var i in type.GetInterfaceImplementations())
        {
            AddType(md, md.GetInterfaceImplementation(i).Interface, types);
        }

        AddGenericParameters(md, type.GetGenericParameters(), types);
        AddAttributes(md, type.GetCustomAttributes(), types);
        foreach (var f in type.GetFields())
        {
            var field = md.GetFieldDefinition(f);
            field.DecodeSignature(types, null);
            AddAttributes(md, field.GetCustomAttributes(), types);
        }

        foreach (var p in type.GetProperties())
        {
            var property = md.GetPropertyDefinition(p);
            property.DecodeSignature(types, null);
            AddAttributes(md, property.GetCustomAttributes(), types);
        }

        foreach (var e in type.GetEvents())
        {
            var ev = md.GetEventDefinition(e);
            AddType(md, ev.Type, types);
            AddAttributes(md, ev.GetCustomAttributes(), types);
        }

        foreach (var m in type.GetMethods())
        {
            var method = md.GetMethodDefinition(m);
            method.DecodeSignature(types, null);
            AddGenericParameters(md, method.GetGenericParameters(), types);
            AddAttributes(md, method.GetCustomAttributes(), types);
            foreach (var p in method.GetParameters())
            {
                AddAttributes(md, md.GetParameter(p).GetCustomAttributes(), types);
            }

            if (method.RelativeVirtualAddress != 0)
            {
                AddBody(md, pe.GetMethodBody(method.RelativeVirtualAddress), types);
            }
        }
    }

    private static void AddBody(MetadataReader md, MethodBodyBlock body, SignatureCollector types)
    {
        if (!body.LocalSignature.IsNil)
        {
            md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(types, null);
        }

        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il.ReadByte()));
            }

            switch (OperandTypes[value])
            {
                case OperandType.InlineField:
                case OperandType.InlineMethod:
                case OperandType.InlineTok:
                case OperandType.InlineType:
                case OperandType.InlineSig:
                    AddToken(md, MetadataTokens.EntityHandle(il.ReadInt32()), types);
                    break;
                case OperandType.InlineSwitch:
                    // Read the count first: in `il.Offset += 4 * il.ReadInt32()` the offset is read before the
                    // count moves it, so the targets would be skipped from the wrong place.
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineBrTarget:
                case OperandType.InlineI:
                case OperandType.InlineString:
                case OperandType.ShortInlineR:
                    il.Offset += 4;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                default:
                    break;
            }
        }
    }

    private static void AddToken(MetadataReader md, EntityHandle handle, SignatureCollector types)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
            case HandleKind.TypeReference:
            case HandleKind.TypeSpecification:
                AddType(md, handle, types);
                break;
            case HandleKind.FieldDefinition:
                var field = md.GetFieldDefinition((FieldDefinitionHandle)handle);
                types.Found.Add(field.GetDeclaringType());
                field.DecodeSignature(types, null);
                break;
            case HandleKind.MethodDefinition:
                var method = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                types.Found.Add(method.GetDeclaringType());
                method.DecodeSignature(types, null);
                break;
            case HandleKind.MemberReference:
                var member = md.GetMemberReference((MemberReferenceHandle)handle);
                AddToken(md, member.Parent, types);
                if (member.GetKind() == MemberReferenceKind.Method)
                {
                    member.DecodeMethodSignature(types, null);
                }
                else
                {
                    member.DecodeFieldSignature(types, null);
                }

                break;
            case HandleKind.MethodSpecification:
                var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                AddToken(md, spec.Method, types);
                spec.DecodeSignature(types, null);
                break;
            case HandleKind.StandaloneSignature:
                var signature = md.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                if (signature.GetKind() == StandaloneSignatureKind.Method)
                {
                    signature.DecodeMethodSignature(types, null);
                }
                else
                {
                    signature.DecodeLocalSignature(types, null);
                }

                break;
            default:
                break;
        }
    }

    private static void AddType(MetadataReader md, EntityHandle handle, SignatureCollector types)
    {
        if (handle.IsNil)
        {
            return; // no base type (interfaces, <Module>)
        }

        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                types.Found.Add((TypeDefinitionHandle)handle);
                break;
            case HandleKind.TypeSpecification:
                md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(types, null);
                break;
            default:
                break; // a type of another assembly (or none): not part of this assembly's layering
        }
    }

    private static void AddGenericParameters(MetadataReader md, GenericParameterHandleCollection parameters, SignatureCollector types)
    {
        foreach (var p in parameters)
        {
            var parameter = md.GetGenericParameter(p);
            AddAttributes(md, parameter.GetCustomAttributes(), types);
            foreach (var c in parameter.GetConstraints())
            {
                AddType(md, md.GetGenericParameterConstraint(c).Type, types);
            }
        }
    }

    private static void AddAttributes(MetadataReader md, CustomAttributeHandleCollection attributes, SignatureCollector types)
    {
        foreach (var a in attributes)
        {
            AddToken(md, md.GetCustomAttribute(a).Constructor, types);
        }
    }

    private static TypeDefinitionHandle Outermost(MetadataReader md, TypeDefinitionHandle handle)
    {
        var declaring = md.GetTypeDefinition(handle).GetDeclaringType();
        return declaring.IsNil ? handle : Outermost(md, declaring);
    }

    private static string Namespace(MetadataReader md, TypeDefinitionHandle handle) =>
        md.GetString(md.GetTypeDefinition(Outermost(md, handle)).Namespace);

    private static string FullName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var declaring = type.GetDeclaringType();
        if (!declaring.IsNil)
        {
            return FullName(md, declaring) + "/" + md.GetString(type.Name);
        }

        var ns = md.GetString(type.Namespace);
        return ns.Length == 0 ? md.GetString(type.Name) : ns + "." + md.GetString(type.Name);
    }

    /// <summary>Decodes signatures only for their side effect: every type definition of the assembly met is added to <see cref="Found"/>.</summary>
    private sealed class SignatureCollector : ISignatureTypeProvider<object?, object?>
    {
        public SignatureCollector(HashSet<TypeDefinitionHandle> found)
        {
            Found = found;
        }

        public HashSet<TypeDefinitionHandle> Found { get; }

        public object? GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Found.Add(handle);
            return null;
        }

        public object? GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public object? GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => null;

        public object? GetPrimitiveType(PrimitiveTypeCode typeCode) => null;

        public object? GetSZArrayType(object? elementType) => null;

        public object? GetArrayType(object? elementType, ArrayShape shape) => null;

        public object? GetByReferenceType(object? elementType) => null;

        public object? GetPointerType(object? elementType) => null;

        public object? GetPinnedType(object? elementType) => null;

        public object? GetGenericInstantiation(object? genericType, ImmutableArray<object?> typeArguments) => null;

        public object? GetGenericMethodParameter(object? genericContext, int index) => null;

        public object? GetGenericTypeParameter(object? genericContext, int index) => null;

        public object? GetFunctionPointerType(MethodSignature<object?> signature) => null;

        public object? GetModifiedType(object? modifier, object? unmodifiedType, bool isRequired) => null;
    }
}
