"""N Bambu Lab printers (serials BENCH0000..) on one MQTT connection, for the farm benchmark
(`agent/examples/bench_farm.rs`): answers `pushall` with a full report and publishes a partial
report (temperatures, progress) for every printer once a second, as printing printers do.

argv: broker_port cafile user password count
"""
import json
import random
import sys
import threading
import time

import paho.mqtt.client as mqtt

port, cafile, user, password, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
serials = ["BENCH%04d" % i for i in range(count)]
client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-printers")
client.username_pw_set(user, password)
client.tls_set(ca_certs=cafile)
client.tls_insecure_set(True)


def full(serial):
    return {"print": {"command": "push_status", "msg": 0, "gcode_state": "RUNNING",
                      "subtask_name": "other", "mc_percent": 10, "mc_remaining_time": 30,
                      "nozzle_temper": 220.0, "nozzle_target_temper": 220.0,
                      "bed_temper": 60.0, "bed_target_temper": 60.0, "print_error": 0,
                      "layer_num": 3, "total_layer_num": 100}}


def on_message(_c, _u, msg):
    serial = msg.topic.split("/")[1]
    if b"pushall" in msg.payload:
        client.publish("device/%s/report" % serial, json.dumps(full(serial)))


def ticker():
    while True:
        start = time.time()
        for s in serials:
            client.publish("device/%s/report" % s, json.dumps({"print": {
                "command": "push_status", "msg": 1,
                "nozzle_temper": round(220 + random.uniform(-1, 1), 1),
                "bed_temper": round(60 + random.uniform(-0.5, 0.5), 1),
                "mc_percent": int(time.time() / 10) % 100}}))
        time.sleep(max(0.0, 1.0 - (time.time() - start)))


client.on_message = on_message
client.on_connect = lambda c, u, f, rc, p=None: c.subscribe("device/+/request")
client.connect("127.0.0.1", int(port))
threading.Thread(target=ticker, daemon=True).start()
client.loop_forever()
