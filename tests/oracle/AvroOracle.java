// Avro Java as the test oracle (tests/property/java_oracle.py compiles and runs it).
//
// Reads a jobs file of JSON lines and answers each on one line of stdout, in one JVM:
//   {"id": I, "op": "read", "reader": <schema>, "file": PATH}
//     -> {"id": I, "rows": [...]}: every record of PATH read with GenericDatumReader
//        (writer = the file's schema, reader = <schema>), typed by avrolake's mapping
//        (docs/table.md), or {"id": I, "error": "..."} when Avro Java cannot read it.
//   {"id": I, "op": "compat", "reader": <schema>, "writer": <schema>}
//     -> {"id": I, "compatible": bool, "message": "..."} from SchemaCompatibility.
// Values: a union of null and one type is that type (or null); any other union is
// {"member_<name>": value}; enum -> symbol; bytes/fixed -> {"$b": hex}; decimal ->
// {"$dec": plain string}; float/double -> {"$f32"/"$f64": raw bit pattern in hex, or "NaN"};
// timestamps (millis or micros, local or not) -> integer micros; date -> days;
// time-millis/time-micros -> the number written (docs/table.md); maps -> objects; a string that is not valid
// UTF-8 (bytes promoted to string) -> {"$invalid_utf8": hex}.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.FileReader;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.util.Utf8;

public final class AvroOracle {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final BigInteger THOUSAND = BigInteger.valueOf(1000);

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        try (BufferedReader in = new BufferedReader(new FileReader(args[0]))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode job = JSON.readTree(line);
                ObjectNode answer = NODES.objectNode();
                answer.set("id", job.get("id"));
                try {
                    if (job.get("op").asText().equals("read")) read(job, answer);
                    else compat(job, answer);
                } catch (Exception | StackOverflowError e) {
                    answer.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
                }
                out.println(JSON.writeValueAsString(answer));
            }
        }
        out.flush();
    }

    private static Schema parse(JsonNode doc) {
        return new Schema.Parser().parse(doc.toString());
    }

    private static void compat(JsonNode job, ObjectNode answer) {
        Schema reader = parse(job.get("reader"));
        Schema writer = parse(job.get("writer"));
        SchemaCompatibility.SchemaPairCompatibility result =
            SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        answer.put("compatible",
            result.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        answer.put("message", String.valueOf(result.getResult().getIncompatibilities()));
    }

    private static void read(JsonNode job, ObjectNode answer) throws Exception {
        Schema reader = parse(job.get("reader"));
        ArrayNode rows = NODES.arrayNode();
        GenericDatumReader<Object> datum = new GenericDatumReader<>(reader);
        try (DataFileReader<Object> file =
                 new DataFileReader<>(new File(job.get("file").asText()), datum)) {
            while (file.hasNext()) rows.add(typed(reader, file.next()));
        }
        answer.set("rows", rows);
    }

    static String memberName(Schema s) {
        switch (s.getType()) {
            case RECORD: case ENUM: case FIXED: return "member_" + s.getName();
            default:
                String logical = s.getProp("logicalType");
                if (s.getLogicalType() != null && logical != null) {
                    return "member_" + logical.replace('-', '_');
                }
                return "member_" + s.getType().getName();
        }
    }

    static JsonNode typed(Schema s, Object v) {
        if (v == null) return NODES.nullNode();
        LogicalType logical = s.getLogicalType();
        String name = logical == null ? "" : logical.getName();
        switch (s.getType()) {
            case UNION: return union(s, v);
            case RECORD: {
                IndexedRecord record = (IndexedRecord) v;
                ObjectNode out = NODES.objectNode();
                for (Schema.Field f : s.getFields()) out.set(f.name(), typed(f.schema(), record.get(f.pos())));
                return out;
            }
            case ENUM: return NODES.textNode(v.toString());
            case ARRAY: {
                ArrayNode out = NODES.arrayNode();
                for (Object item : (List<?>) v) out.add(typed(s.getElementType(), item));
                return out;
            }
            case MAP: {
                ObjectNode out = NODES.objectNode();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    out.set(e.getKey().toString(), typed(s.getValueType(), e.getValue()));
                }
                return out;
            }
            case FIXED: return bytes(logical, ((GenericFixed) v).bytes());
            case BYTES: {
                ByteBuffer buffer = ((ByteBuffer) v).duplicate();
                byte[] data = new byte[buffer.remaining()];
                buffer.get(data);
                return bytes(logical, data);
            }
            case STRING: return text(v);
            case INT: {
                return NODES.numberNode((Integer) v);
            }
            case LONG: {
                long l = (Long) v;
                if (name.equals("timestamp-millis") || name.equals("local-timestamp-millis")) {
                    return NODES.numberNode(BigInteger.valueOf(l).multiply(THOUSAND));
                }
                return NODES.numberNode(l);
            }
            case FLOAT: {
                float f = (Float) v;
                return tagged("$f32", Float.isNaN(f) ? "NaN"
                    : String.format("%08x", Float.floatToRawIntBits(f)));
            }
            case DOUBLE: {
                double d = (Double) v;
                return tagged("$f64", Double.isNaN(d) ? "NaN"
                    : String.format("%016x", Double.doubleToRawLongBits(d)));
            }
            case BOOLEAN: return NODES.booleanNode((Boolean) v);
            default: return NODES.nullNode();
        }
    }

    static JsonNode union(Schema s, Object v) {
        Schema branch = s.getTypes().get(GenericData.get().resolveUnion(s, v));
        long others = s.getTypes().stream().filter(b -> b.getType() != Schema.Type.NULL).count();
        if (others == 1) return typed(branch, v);
        ObjectNode out = NODES.objectNode();
        out.set(memberName(branch), typed(branch, v));
        return out;
    }

    static JsonNode text(Object v) {
        if (!(v instanceof Utf8)) return NODES.textNode(v.toString());
        Utf8 utf8 = (Utf8) v;
        byte[] data = java.util.Arrays.copyOf(utf8.getBytes(), utf8.getByteLength());
        try {
            StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(data));
        } catch (CharacterCodingException e) {
            return tagged("$invalid_utf8", bytes(null, data).get("$b").asText());
        }
        return NODES.textNode(v.toString());
    }

    static JsonNode bytes(LogicalType logical, byte[] data) {
        if (logical instanceof LogicalTypes.Decimal) {
            int scale = ((LogicalTypes.Decimal) logical).getScale();
            return tagged("$dec", new BigDecimal(new BigInteger(data), scale).toPlainString());
        }
        StringBuilder hex = new StringBuilder();
        for (byte b : data) hex.append(String.format("%02x", b));
        return tagged("$b", hex.toString());
    }

    static JsonNode tagged(String tag, String value) {
        ObjectNode out = NODES.objectNode();
        out.put(tag, value);
        return out;
    }
}
