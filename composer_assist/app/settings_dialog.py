"""Audio settings: output device (or none) and block size."""

from __future__ import annotations

from PyQt6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox

from composer_assist.services.settings import BLOCK_SIZES, load_settings, save_settings

from .transport import OutputSettings
NULL_DEVICE = "No device (null output, paced in real time)"
DEFAULT_DEVICE = "Default output"


def device_names() -> list[str]:
    """Output devices PortAudio lists (none when PortAudio is missing)."""
    try:
        from composer_assist.audio.devices import list_devices

        return [d.name for d in list_devices() if d.channels >= 2]
    except Exception:  # no PortAudio or no sound server: only the null output
        return []


class SettingsDialog(QDialog):
    def __init__(self, current: OutputSettings, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audio settings")
        self.device = QComboBox()
        self.device.addItems([DEFAULT_DEVICE, NULL_DEVICE] + device_names())
        if current.null:
            self.device.setCurrentText(NULL_DEVICE)
        elif current.device:
            self.device.setCurrentText(current.device)
        self.block = QComboBox()
        self.block.addItems([str(b) for b in BLOCK_SIZES])
        self.block.setCurrentText(str(current.block))
        self.jobs = QSpinBox()
        self.jobs.setRange(1, 16)
        self.jobs.setValue(current.jobs)
        form = QFormLayout(self)
        form.addRow("Output device", self.device)
        form.addRow("Block size (frames)", self.block)
        form.addRow("Render workers", self.jobs)
        form.addRow(QLabel("Smaller blocks answer faster but need a quieter machine (docs/playback.md)."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def result_settings(self) -> OutputSettings:
        """The choice, also saved as the audio_device and block_size settings (the null output
        is for this session only)."""
        text = self.device.currentText()
        chosen = OutputSettings(device=None if text in (DEFAULT_DEVICE, NULL_DEVICE) else text,
                                null=text == NULL_DEVICE, block=int(self.block.currentText()), jobs=self.jobs.value())
        saved = load_settings()
        if not chosen.null:
            saved.audio_device = chosen.device
        saved.block_size = chosen.block
        save_settings(saved)
        return chosen
