// The manifest's JSON Schema as the page checks it (manifestCheck.js), without its prose.
// Generated from composer_assist/package/manifest.py: do not edit; after a change to the models
// run `python -m composer_assist.package.manifest` (a test holds it equal to the models').
export const SCHEMA = {
 "$defs": {
  "Adaptive": {
   "additionalProperties": false,
   "properties": {
    "calibration": {
     "anyOf": [
      {
       "additionalProperties": {
        "anyOf": [
         {
          "type": "number"
         },
         {
          "type": "string"
         },
         {
          "type": "boolean"
         },
         {
          "type": "null"
         }
        ]
       },
       "type": "object"
      },
      {
       "type": "null"
      }
     ]
    },
    "congruence_radius": {
     "exclusiveMinimum": 0.0,
     "maximum": 3.0,
     "type": "number"
    },
    "control_rate": {
     "exclusiveMinimum": 0.0,
     "maximum": 1000.0,
     "type": "number"
    },
    "dwell_bars": {
     "maximum": 1000.0,
     "minimum": 0.0,
     "type": "number"
    },
    "hysteresis": {
     "maximum": 2.0,
     "minimum": 0.0,
     "type": "number"
    },
    "intensity_slew": {
     "exclusiveMinimum": 0.0,
     "maximum": 1000.0,
     "type": "number"
    },
    "max_switches_per_minute": {
     "maximum": 600,
     "minimum": 0,
     "type": "integer"
    },
    "mode": {
     "enum": [
      "live",
      "planned"
     ],
     "type": "string"
    },
    "policy": {
     "$ref": "#/$defs/Policy"
    }
   },
   "required": [
    "dwell_bars",
    "hysteresis",
    "intensity_slew",
    "control_rate",
    "congruence_radius",
    "mode",
    "policy"
   ],
   "type": "object"
  },
  "AudioFile": {
   "additionalProperties": false,
   "properties": {
    "bitrate": {
     "anyOf": [
      {
       "maximum": 10000000,
       "minimum": 1,
       "type": "integer"
      },
      {
       "type": "null"
      }
     ]
    },
    "bits": {
     "anyOf": [
      {
       "maximum": 32,
       "minimum": 1,
       "type": "integer"
      },
      {
       "type": "null"
      }
     ]
    },
    "codec": {
     "enum": [
      "flac",
      "opus"
     ],
     "type": "string"
    },
    "padding": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    },
    "path": {
     "type": "string"
    },
    "pre_skip": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    }
   },
   "required": [
    "path",
    "codec"
   ],
   "type": "object"
  },
  "Cue": {
   "additionalProperties": false,
   "properties": {
    "key": {
     "anyOf": [
      {
       "type": "string"
      },
      {
       "type": "null"
      }
     ]
    },
    "length_bars": {
     "maximum": 10000,
     "minimum": 1,
     "type": "integer"
    },
    "length_beats": {
     "exclusiveMinimum": 0,
     "maximum": 1000000.0,
     "type": "number"
    },
    "length_samples": {
     "maximum": 8589934592,
     "minimum": 1,
     "type": "integer"
    },
    "meter": {
     "$ref": "#/$defs/Meter"
    },
    "name": {
     "type": "string"
    },
    "tempo": {
     "items": {
      "$ref": "#/$defs/TempoPoint"
     },
     "minItems": 1,
     "type": "array"
    }
   },
   "required": [
    "name",
    "key",
    "meter",
    "tempo",
    "length_bars",
    "length_beats",
    "length_samples"
   ],
   "type": "object"
  },
  "FileEntry": {
   "additionalProperties": false,
   "properties": {
    "path": {
     "type": "string"
    },
    "sha256": {
     "pattern": "^[0-9a-f]{64}$",
     "type": "string"
    },
    "size": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    }
   },
   "required": [
    "path",
    "size",
    "sha256"
   ],
   "type": "object"
  },
  "Layer": {
   "additionalProperties": false,
   "properties": {
    "fade": {
     "maximum": 1.0,
     "minimum": 0.0,
     "type": "number"
    },
    "gain_db": {
     "maximum": 24.0,
     "minimum": -120.0,
     "type": "number"
    },
    "intensity": {
     "maxItems": 2,
     "minItems": 2,
     "prefixItems": [
      {
       "maximum": 1.0,
       "minimum": 0.0,
       "type": "number"
      },
      {
       "maximum": 1.0,
       "minimum": 0.0,
       "type": "number"
      }
     ],
     "type": "array"
    },
    "name": {
     "type": "string"
    },
    "pan": {
     "maximum": 1.0,
     "minimum": -1.0,
     "type": "number"
    },
    "stem": {
     "$ref": "#/$defs/Stem"
    }
   },
   "required": [
    "name",
    "intensity",
    "fade",
    "gain_db",
    "pan",
    "stem"
   ],
   "type": "object"
  },
  "Listeners": {
   "additionalProperties": false,
   "properties": {
    "clusters": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "path": {
     "type": "string"
    }
   },
   "required": [
    "path",
    "clusters"
   ],
   "type": "object"
  },
  "Loudness": {
   "additionalProperties": false,
   "properties": {
    "ceiling_dbtp": {
     "type": "number"
    },
    "cue_lufs": {
     "anyOf": [
      {
       "type": "number"
      },
      {
       "type": "null"
      }
     ]
    },
    "delivery_gain_db": {
     "type": "number"
    },
    "note": {
     "type": "string"
    },
    "peak_block": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    },
    "target_lufs": {
     "type": "number"
    },
    "target_met": {
     "type": "boolean"
    },
    "true_peak_dbtp": {
     "anyOf": [
      {
       "type": "number"
      },
      {
       "type": "null"
      }
     ]
    },
    "variants": {
     "additionalProperties": {
      "$ref": "#/$defs/VariantLoudness"
     },
     "type": "object"
    },
    "window_hop": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    }
   },
   "required": [
    "target_lufs",
    "ceiling_dbtp",
    "cue_lufs",
    "true_peak_dbtp",
    "delivery_gain_db",
    "target_met",
    "variants"
   ],
   "type": "object"
  },
  "Marker": {
   "additionalProperties": false,
   "properties": {
    "beat": {
     "maximum": 1000000.0,
     "minimum": 0,
     "type": "number"
    },
    "name": {
     "type": "string"
    },
    "sample": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    }
   },
   "required": [
    "name",
    "beat",
    "sample"
   ],
   "type": "object"
  },
  "Meter": {
   "additionalProperties": false,
   "properties": {
    "denominator": {
     "maximum": 64,
     "minimum": 1,
     "type": "integer"
    },
    "numerator": {
     "maximum": 64,
     "minimum": 1,
     "type": "integer"
    }
   },
   "required": [
    "numerator",
    "denominator"
   ],
   "type": "object"
  },
  "Policy": {
   "additionalProperties": {
    "type": "number"
   },
   "properties": {
    "arousal_weight": {
     "maximum": 100.0,
     "minimum": 0.0,
     "type": "number"
    },
    "heart_rate_baseline_s": {
     "maximum": 3600.0,
     "minimum": 0.0,
     "type": "number"
    },
    "heart_rate_scale_bpm": {
     "exclusiveMinimum": 0.0,
     "maximum": 1000.0,
     "type": "number"
    },
    "heart_rate_weight": {
     "maximum": 1.0,
     "minimum": 0.0,
     "type": "number"
    },
    "smoothing_s": {
     "maximum": 3600.0,
     "minimum": 0.0,
     "type": "number"
    },
    "valence_weight": {
     "maximum": 100.0,
     "minimum": 0.0,
     "type": "number"
    }
   },
   "type": "object"
  },
  "Region": {
   "additionalProperties": false,
   "properties": {
    "end_beat": {
     "maximum": 1000000.0,
     "minimum": 0,
     "type": "number"
    },
    "end_sample": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    },
    "start_beat": {
     "maximum": 1000000.0,
     "minimum": 0,
     "type": "number"
    },
    "start_sample": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    }
   },
   "required": [
    "start_beat",
    "end_beat",
    "start_sample",
    "end_sample"
   ],
   "type": "object"
  },
  "SceneCurve": {
   "additionalProperties": false,
   "properties": {
    "path": {
     "type": "string"
    },
    "samples": {
     "maximum": 200000,
     "minimum": 2,
     "type": "integer"
    },
    "seconds": {
     "minimum": 0,
     "type": "number"
    }
   },
   "required": [
    "path",
    "seconds",
    "samples"
   ],
   "type": "object"
  },
  "Stem": {
   "additionalProperties": false,
   "properties": {
    "flac": {
     "$ref": "#/$defs/AudioFile"
    },
    "frames": {
     "maximum": 8589934592,
     "minimum": 1,
     "type": "integer"
    },
    "opus": {
     "anyOf": [
      {
       "$ref": "#/$defs/AudioFile"
      },
      {
       "type": "null"
      }
     ]
    },
    "scale": {
     "maximum": 4.0,
     "minimum": 1.0,
     "type": "number"
    },
    "tail_frames": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    }
   },
   "required": [
    "frames",
    "flac"
   ],
   "type": "object"
  },
  "Stinger": {
   "additionalProperties": false,
   "properties": {
    "gain_db": {
     "maximum": 24.0,
     "minimum": -120.0,
     "type": "number"
    },
    "name": {
     "type": "string"
    },
    "pan": {
     "maximum": 1.0,
     "minimum": -1.0,
     "type": "number"
    },
    "peak_envelope": {
     "anyOf": [
      {
       "items": {
        "minimum": 0,
        "type": "number"
       },
       "type": "array"
      },
      {
       "type": "null"
      }
     ]
    },
    "stem": {
     "$ref": "#/$defs/Stem"
    }
   },
   "required": [
    "name",
    "gain_db",
    "pan",
    "stem"
   ],
   "type": "object"
  },
  "TempoPoint": {
   "additionalProperties": false,
   "properties": {
    "beat": {
     "maximum": 1000000.0,
     "minimum": 0,
     "type": "number"
    },
    "bpm": {
     "maximum": 1000.0,
     "minimum": 1.0,
     "type": "number"
    },
    "sample": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    }
   },
   "required": [
    "beat",
    "bpm",
    "sample"
   ],
   "type": "object"
  },
  "Transition": {
   "additionalProperties": false,
   "properties": {
    "enter_sample": {
     "anyOf": [
      {
       "maximum": 8589934592,
       "minimum": 0,
       "type": "integer"
      },
      {
       "type": "null"
      }
     ]
    },
    "fade_samples": {
     "maximum": 8589934592,
     "minimum": 0,
     "type": "integer"
    },
    "leave_points": {
     "items": {
      "maximum": 8589934592,
      "minimum": 0,
      "type": "integer"
     },
     "type": "array"
    },
    "rule": {
     "minimum": -1,
     "type": "integer"
    },
    "source": {
     "type": "string"
    },
    "stinger": {
     "anyOf": [
      {
       "type": "string"
      },
      {
       "type": "null"
      }
     ]
    },
    "target": {
     "type": "string"
    }
   },
   "required": [
    "source",
    "target",
    "rule",
    "leave_points",
    "enter_sample",
    "fade_samples"
   ],
   "type": "object"
  },
  "TransitionRule": {
   "additionalProperties": false,
   "properties": {
    "bars": {
     "maximum": 10000,
     "minimum": 1,
     "type": "integer"
    },
    "curve": {
     "enum": [
      "equal_power",
      "linear",
      "s_curve"
     ],
     "type": "string"
    },
    "enter": {
     "enum": [
      "same",
      "start",
      "marker"
     ],
     "type": "string"
    },
    "enter_marker": {
     "anyOf": [
      {
       "type": "string"
      },
      {
       "type": "null"
      }
     ]
    },
    "fade_beats": {
     "maximum": 1024.0,
     "minimum": 0,
     "type": "number"
    },
    "leave": {
     "enum": [
      "immediate",
      "beat",
      "bar",
      "bars",
      "marker",
      "loop_end"
     ],
     "type": "string"
    },
    "leave_marker": {
     "anyOf": [
      {
       "type": "string"
      },
      {
       "type": "null"
      }
     ]
    },
    "source": {
     "type": "string"
    },
    "stinger": {
     "anyOf": [
      {
       "type": "string"
      },
      {
       "type": "null"
      }
     ]
    },
    "target": {
     "type": "string"
    }
   },
   "required": [
    "source",
    "target",
    "leave",
    "enter",
    "fade_beats",
    "curve"
   ],
   "type": "object"
  },
  "Variant": {
   "additionalProperties": false,
   "properties": {
    "arousal": {
     "maximum": 1,
     "minimum": -1,
     "type": "number"
    },
    "arousal_follows_intensity": {
     "type": "boolean"
    },
    "intensity": {
     "maxItems": 2,
     "minItems": 2,
     "prefixItems": [
      {
       "maximum": 1.0,
       "minimum": 0.0,
       "type": "number"
      },
      {
       "maximum": 1.0,
       "minimum": 0.0,
       "type": "number"
      }
     ],
     "type": "array"
    },
    "layers": {
     "items": {
      "$ref": "#/$defs/Layer"
     },
     "type": "array"
    },
    "level_gain_db": {
     "type": "number"
    },
    "level_offset_lu": {
     "maximum": 24.0,
     "minimum": -24.0,
     "type": "number"
    },
    "loudness_windows": {
     "anyOf": [
      {
       "items": {
        "items": {
         "maximum": 16.0,
         "minimum": -16.0,
         "type": "number"
        },
        "type": "array"
       },
       "type": "array"
      },
      {
       "type": "null"
      }
     ]
    },
    "name": {
     "type": "string"
    },
    "nominal_intensity": {
     "maximum": 1.0,
     "minimum": 0.0,
     "type": "number"
    },
    "peak_envelope": {
     "anyOf": [
      {
       "items": {
        "maximum": 1,
        "minimum": 0,
        "type": "number"
       },
       "type": "array"
      },
      {
       "type": "null"
      }
     ]
    },
    "tags": {
     "items": {
      "type": "string"
     },
     "type": "array"
    },
    "valence": {
     "maximum": 1,
     "minimum": -1,
     "type": "number"
    }
   },
   "required": [
    "name",
    "valence",
    "arousal",
    "tags",
    "intensity",
    "nominal_intensity",
    "level_offset_lu",
    "level_gain_db",
    "layers"
   ],
   "type": "object"
  },
  "VariantLoudness": {
   "additionalProperties": false,
   "properties": {
    "integrated_lufs": {
     "anyOf": [
      {
       "type": "number"
      },
      {
       "type": "null"
      }
     ]
    },
    "true_peak_dbtp": {
     "anyOf": [
      {
       "type": "number"
      },
      {
       "type": "null"
      }
     ]
    }
   },
   "required": [
    "integrated_lufs",
    "true_peak_dbtp"
   ],
   "type": "object"
  }
 },
 "additionalProperties": false,
 "properties": {
  "adaptive": {
   "$ref": "#/$defs/Adaptive"
  },
  "cue": {
   "$ref": "#/$defs/Cue"
  },
  "files": {
   "items": {
    "$ref": "#/$defs/FileEntry"
   },
   "type": "array"
  },
  "format": {
   "const": "composer-assist-cue-package",
   "type": "string"
  },
  "format_version": {
   "maximum": 1,
   "minimum": 1,
   "type": "integer"
  },
  "generator": {
   "type": "string"
  },
  "listeners": {
   "anyOf": [
    {
     "$ref": "#/$defs/Listeners"
    },
    {
     "type": "null"
    }
   ]
  },
  "loop": {
   "$ref": "#/$defs/Region"
  },
  "loudness": {
   "$ref": "#/$defs/Loudness"
  },
  "markers": {
   "items": {
    "$ref": "#/$defs/Marker"
   },
   "type": "array"
  },
  "rules": {
   "items": {
    "$ref": "#/$defs/TransitionRule"
   },
   "type": "array"
  },
  "sample_rate": {
   "maximum": 384000,
   "minimum": 1,
   "type": "integer"
  },
  "scene_curve": {
   "anyOf": [
    {
     "$ref": "#/$defs/SceneCurve"
    },
    {
     "type": "null"
    }
   ]
  },
  "stingers": {
   "items": {
    "$ref": "#/$defs/Stinger"
   },
   "type": "array"
  },
  "transitions": {
   "items": {
    "$ref": "#/$defs/Transition"
   },
   "type": "array"
  },
  "variants": {
   "items": {
    "$ref": "#/$defs/Variant"
   },
   "minItems": 1,
   "type": "array"
  }
 },
 "required": [
  "generator",
  "sample_rate",
  "cue",
  "loop",
  "markers",
  "variants",
  "rules",
  "transitions",
  "stingers",
  "adaptive",
  "loudness",
  "files"
 ],
 "type": "object"
};
